#include "engine/lean_tls_stream.hpp"

#include "engine/error.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace ghost::engine {

namespace net = boost::asio;

namespace {

lean_tls_stream* owner(BIO* b) { return static_cast<lean_tls_stream*>(BIO_get_data(b)); }

int bio_read_cb(BIO* b, char* data, int size) { return owner(b)->bio_read(data, size); }
int bio_write_cb(BIO* b, const char* data, int size) { return owner(b)->bio_write(data, size); }

long bio_ctrl_cb(BIO*, int cmd, long, void*) {
    // OpenSSL flushes after each flight; our writes are queued for the socket already.
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create_cb(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

const BIO_METHOD* bio_method() {
    // One method table for the process (OpenSSL keeps a pointer to it in every BIO).
    static BIO_METHOD* m = [] {
        BIO_METHOD* meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ghost-lean-tls");
        if (!meth) return meth;
        BIO_meth_set_read(meth, bio_read_cb);
        BIO_meth_set_write(meth, bio_write_cb);
        BIO_meth_set_ctrl(meth, bio_ctrl_cb);
        BIO_meth_set_create(meth, bio_create_cb);
        return meth;
    }();
    return m;
}

[[noreturn]] void throw_tls(const char* what) {
    throw boost::system::system_error(make_error_code(errc::tls_error), what);
}

// A buffer whose bytes are all used is given back unless it is tiny (the 5-byte headers).
void release(std::vector<unsigned char>& v) {
    if (v.capacity() > 64) std::vector<unsigned char>().swap(v);
    else v.clear();
}

}  // namespace

lean_tls_stream::lean_tls_stream(const executor_type& ex, net::ssl::context& ctx) : next_(ex) {
    const BIO_METHOD* m = bio_method();
    if (!m) throw_tls("BIO_meth_new failed");
    ssl_ = SSL_new(ctx.native_handle());
    if (!ssl_) throw_tls("SSL_new failed");
    BIO* bio = BIO_new(m);
    if (!bio) {
        SSL_free(ssl_);
        throw_tls("BIO_new failed");
    }
    BIO_set_data(bio, this);
    SSL_set_bio(ssl_, bio, bio);  // one reference for both directions, owned by ssl_
    SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
    SSL_set_connect_state(ssl_);
}

lean_tls_stream::~lean_tls_stream() { SSL_free(ssl_); }

void lean_tls_stream::verify_server(const std::string& name) {
    boost::system::error_code ec;
    net::ip::make_address(name, ec);
    if (ec) {
        SSL_set_tlsext_host_name(ssl_, name.c_str());
        SSL_set1_host(ssl_, name.c_str());
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str());
    }
    SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
}

int lean_tls_stream::bio_read(char* data, int size) {
    BIO* b = SSL_get_rbio(ssl_);
    BIO_clear_retry_flags(b);
    const std::size_t available = in_.size() - in_used_;
    if (available == 0) {
        wanted_ = static_cast<std::size_t>(std::max(size, 1));
        BIO_set_retry_read(b);
        return -1;
    }
    const std::size_t n = std::min<std::size_t>(available, static_cast<std::size_t>(size));
    std::memcpy(data, in_.data() + in_used_, n);
    in_used_ += n;
    if (in_used_ == in_.size()) {
        in_used_ = 0;
        release(in_);
    }
    return static_cast<int>(n);
}

int lean_tls_stream::bio_write(const char* data, int size) {
    BIO_clear_retry_flags(SSL_get_wbio(ssl_));
    out_.insert(out_.end(), data, data + size);
    return size;
}

net::mutable_buffer lean_tls_stream::input_space() {
    // Exactly what OpenSSL asked for: a record header, then the rest of the record.
    in_.resize(wanted_ > 0 ? wanted_ : 5);
    in_used_ = 0;
    return net::buffer(in_);
}

void lean_tls_stream::input_done(std::size_t n) {
    in_.resize(n);
    if (n == 0) release(in_);
}

void lean_tls_stream::output_done() { release(out_); }

lean_tls_stream::step lean_tls_stream::failure(int ssl_error, int ret) {
    if (ssl_error == SSL_ERROR_ZERO_RETURN) return {step::failed, 0, net::error::eof};
    if (ssl_error == SSL_ERROR_SYSCALL && ret == 0 && ERR_peek_error() == 0)
        return {step::failed, 0, net::ssl::error::stream_truncated};  // EOF without close_notify
    if (ssl_error == SSL_ERROR_SSL) {
        unsigned long e = ERR_peek_last_error();
        // OpenSSL 3 reports a peer that closed mid-record as an "unexpected eof" SSL error.
        if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            return {step::failed, 0, net::ssl::error::stream_truncated};
        }
    }
    ERR_clear_error();
    return {step::failed, 0, make_error_code(errc::tls_error)};
}

lean_tls_stream::step lean_tls_stream::step_handshake() {
    if (!out_.empty()) return {step::need_flush};
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_);
    if (r == 1) return out_.empty() ? step{step::done} : step{step::need_flush};
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) return out_.empty() ? step{step::need_input} : step{step::need_flush};
    return failure(e, r);
}

lean_tls_stream::step lean_tls_stream::step_read(net::mutable_buffer into) {
    if (into.size() == 0) return {step::done, 0};
    // Anything OpenSSL wrote meanwhile (a KeyUpdate reply) goes out before we wait.
    if (!out_.empty()) return {step::need_flush};
    // OpenSSL allocates its 16 KiB record buffer as soon as it starts on a record, and would
    // keep it for as long as the next record takes to arrive (a quiet watch: minutes). So it
    // is called only once a record header is here or it holds unread bytes itself.
    if (in_.size() == in_used_ && !SSL_has_pending(ssl_)) {
        // SSL_MODE_RELEASE_BUFFERS does not give the record buffer back after post-handshake
        // messages (session tickets): do it here, where nothing is in flight.
        SSL_free_buffers(ssl_);
        wanted_ = 5;
        return {step::need_input};
    }
    ERR_clear_error();
    std::size_t n = 0;
    int r = SSL_read_ex(ssl_, into.data(), into.size(), &n);
    if (r == 1) return {step::done, n};
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) return out_.empty() ? step{step::need_input} : step{step::need_flush};
    return failure(e, r);
}

lean_tls_stream::step lean_tls_stream::step_write(net::const_buffer from) {
    if (write_pending_) {
        // The flush of what we encrypted is done.
        write_pending_ = false;
        return {step::done, write_n_};
    }
    if (from.size() == 0) return {step::done, 0};
    const std::size_t len = std::min<std::size_t>(from.size(), 16 * 1024);
    ERR_clear_error();
    std::size_t n = 0;
    int r = SSL_write_ex(ssl_, from.data(), len, &n);
    if (r == 1) {
        write_pending_ = true;
        write_n_ = n;
        return {step::need_flush};
    }
    int e = SSL_get_error(ssl_, r);
    return failure(e, r);  // WANT_READ here would be a renegotiation: not supported
}

}  // namespace ghost::engine
