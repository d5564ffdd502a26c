#pragma once
// A TLS client stream that holds (almost) no buffers while it waits: for the thousands of quiet
// watch connections of ghostlet --api-mode=kubelet.
//
// asio::ssl::stream keeps two 17 KiB staging buffers per stream and a BIO pair with two more,
// about 70 KB per connection whether or not a byte flows (6,000 watches: 420 MB). Here OpenSSL
// talks to a BIO of our own: ciphertext read from the socket is handed to OpenSSL exactly as
// much as it asks for (a record's 5-byte header, then its body) and dropped once consumed;
// ciphertext OpenSSL writes is sent at once and dropped. With SSL_MODE_RELEASE_BUFFERS an
// idle connection keeps only OpenSSL's session state. Socket I/O goes through a
// beast::tcp_stream, so its expires_after/expires_never timeouts apply as for any other stream.
//
// An AsyncReadStream/AsyncWriteStream (Beast's HTTP reads and writes take it as they take
// ssl_stream) plus async_handshake. The TLS logic (`step_*`) is plain code in the .cpp;
// the composed operation below only moves bytes between it and the socket. No renegotiation
// (TLS 1.3 has none; Go's TLS servers refuse it), no shutdown alert (ghostlet closes sockets).

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/system/error_code.hpp>

#include <openssl/ssl.h>

#include <cstddef>
#include <string>
#include <vector>

namespace ghost::engine {

class lean_tls_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using error_code = boost::system::error_code;

    /// What the TLS layer needs next: done (n bytes), ciphertext from the socket, ciphertext
    /// to send, or failed.
    struct step {
        enum kind { done, need_input, need_flush, failed };
        kind what = done;
        std::size_t n = 0;
        error_code ec;
    };

    /// Throws boost::system::system_error when OpenSSL cannot make the connection state.
    lean_tls_stream(const executor_type& ex, boost::asio::ssl::context& ctx);
    ~lean_tls_stream();
    lean_tls_stream(const lean_tls_stream&) = delete;
    lean_tls_stream& operator=(const lean_tls_stream&) = delete;

    executor_type get_executor() noexcept { return next_.get_executor(); }
    boost::beast::tcp_stream& next_layer() noexcept { return next_; }
    SSL* native_handle() noexcept { return ssl_; }

    /// Verifies the server's certificate and its name (DNS name or IP literal); sets SNI for a
    /// DNS name. Without it any certificate is accepted.
    void verify_server(const std::string& name);

    /// Bytes held for ciphertext right now (0 while a connection waits): for tests.
    std::size_t buffered_bytes() const noexcept { return in_.capacity() + out_.capacity(); }

    template <class Token>
    auto async_handshake(Token&& token) {
        return run<void(error_code)>([this] { return step_handshake(); },
                                     std::forward<Token>(token));
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        boost::asio::mutable_buffer b = first_nonempty<boost::asio::mutable_buffer>(buffers);
        return run<void(error_code, std::size_t)>([this, b] { return step_read(b); },
                                                  std::forward<Token>(token));
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        boost::asio::const_buffer b = first_nonempty<boost::asio::const_buffer>(buffers);
        write_pending_ = false;
        return run<void(error_code, std::size_t)>([this, b] { return step_write(b); },
                                                  std::forward<Token>(token));
    }

    // The TLS state machine (public for the composed operation; not for callers).
    step step_handshake();
    step step_read(boost::asio::mutable_buffer into);
    step step_write(boost::asio::const_buffer from);
    boost::asio::mutable_buffer input_space();  ///< as many bytes as OpenSSL asked for
    void input_done(std::size_t n);
    boost::asio::const_buffer output() const noexcept { return boost::asio::buffer(out_); }
    void output_done();

    // The custom BIO's side (called by OpenSSL through it).
    int bio_read(char* data, int size);
    int bio_write(const char* data, int size);

private:
    template <class Buffer, class Sequence>
    static Buffer first_nonempty(const Sequence& s) {
        for (auto it = boost::asio::buffer_sequence_begin(s);
             it != boost::asio::buffer_sequence_end(s); ++it) {
            Buffer b(*it);
            if (b.size() > 0) return b;
        }
        return Buffer();
    }

    template <class Signature, class Step>
    struct op {
        lean_tls_stream& s;
        Step next_step;
        enum { starting, reading, flushing, posted } state = starting;
        step result{};

        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (state == posted) return finish(self, result);
            if (state == reading || state == flushing) {
                if (ec) return finish(self, step{step::failed, 0, ec});
                if (state == reading) s.input_done(n);
                else s.output_done();
            }
            const bool first = state == starting;
            result = next_step();
            switch (result.what) {
            case step::need_input:
                state = reading;
                s.next_.async_read_some(s.input_space(), std::move(self));
                return;
            case step::need_flush:
                state = flushing;
                boost::asio::async_write(s.next_, s.output(), std::move(self));
                return;
            default:
                if (first) {
                    // Never complete from inside the initiating call (asio's rule).
                    state = posted;
                    boost::asio::post(s.get_executor(), std::move(self));
                    return;
                }
                return finish(self, result);
            }
        }

        template <class Self>
        static void finish(Self& self, const step& r) {
            if constexpr (std::is_same_v<Signature, void(error_code)>) {
                self.complete(r.ec);
            } else {
                self.complete(r.ec, r.what == step::done ? r.n : 0);
            }
        }
    };

    template <class Signature, class Step, class Token>
    auto run(Step s, Token&& token) {
        return boost::asio::async_compose<Token, Signature>(op<Signature, Step>{*this, std::move(s)},
                                                            token, next_);
    }

    step failure(int ssl_error, int ret);

    boost::beast::tcp_stream next_;
    SSL* ssl_ = nullptr;
    std::vector<unsigned char> in_;   ///< ciphertext read, not yet taken by OpenSSL
    std::size_t in_used_ = 0;
    std::size_t wanted_ = 0;          ///< what OpenSSL last asked for and did not get
    std::vector<unsigned char> out_;  ///< ciphertext OpenSSL wrote, not yet sent
    bool write_pending_ = false;      ///< step_write encrypted its buffer; done after the flush
    std::size_t write_n_ = 0;
};

}  // namespace ghost::engine
