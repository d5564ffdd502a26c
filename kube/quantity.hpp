#pragma once
// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity): "100m", "1.5Gi",
// "2e3", "128974848". Kept as signed nano-units in 128 bits: exact for every suffix up to Ei
// (2^60) and down to n; finer digits round up, as Kubernetes rounds to its smallest scale.

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace ghost::kube {

class quantity {
public:
    using nanos_t = __int128;

    quantity() = default;
    static quantity from_nanos(nanos_t n) { return quantity(n); }
    static quantity from_milli(long long m) { return quantity(nanos_t(m) * 1'000'000); }
    static quantity from_double(double v);

    /// nullopt when `text` is not a quantity ("1.5.2", "10Q", "" ...).
    static std::optional<quantity> parse(std::string_view text);

    nanos_t nanos() const noexcept { return nanos_; }
    /// Rounded up to whole milli-units, like resource.Quantity.MilliValue().
    long long milli() const noexcept;
    /// Rounded up to whole units, like resource.Quantity.Value().
    long long value() const noexcept;
    double as_double() const noexcept;
    /// Canonical text in decimal SI ("100m", "1500", "2k") or, for whole multiples of 1024 at
    /// least 1Ki that were written binary, binary SI ("1Gi").
    std::string to_string() const;

    quantity operator+(quantity o) const { return quantity(nanos_ + o.nanos_, binary_); }
    quantity operator-(quantity o) const { return quantity(nanos_ - o.nanos_, binary_); }
    quantity operator-() const { return quantity(-nanos_, binary_); }
    bool operator==(const quantity& o) const noexcept { return nanos_ == o.nanos_; }
    std::strong_ordering operator<=>(const quantity& o) const noexcept {
        return nanos_ <=> o.nanos_;
    }

private:
    explicit quantity(nanos_t n, bool binary = false) : nanos_(n), binary_(binary) {}
    nanos_t nanos_ = 0;
    bool binary_ = false;  ///< written with a binary suffix: printed back that way
};

}  // namespace ghost::kube
