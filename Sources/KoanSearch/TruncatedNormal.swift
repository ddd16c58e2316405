import Foundation

/// The standard normal truncated to [a, b]: log mass, log density and quantiles that stay
/// accurate in the tails (the mass is taken on the side of the distribution away from the
/// bulk), for the Parzen estimators of the TPE sampler.
enum TruncatedNormal {
    static let logSqrt2Pi = 0.5 * Foundation.log(2 * Double.pi)

    /// Φ(x), the standard normal CDF.
    static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// log Φ(x), accurate for very negative x (asymptotic series below −20).
    static func logCDF(_ x: Double) -> Double {
        if x > -20 { return Foundation.log(cdf(x)) }
        // log Φ(x) ≈ −x²/2 − log(−x) − log √(2π) + log(1 − 1/x² + 3/x⁴)
        let x2 = x * x
        return -0.5 * x2 - Foundation.log(-x) - logSqrt2Pi + Foundation.log1p(-1 / x2 + 3 / (x2 * x2))
    }

    /// log(Φ(b) − Φ(a)) for a ≤ b.
    static func logMass(_ a: Double, _ b: Double) -> Double {
        if b <= 0 {
            // Both in the left tail: log Φ(b) + log(1 − Φ(a)/Φ(b)).
            let la = logCDF(a), lb = logCDF(b)
            return lb + log1mexp(la - lb)
        }
        if a >= 0 {
            // Both in the right tail: the mirror image.
            let la = logCDF(-b), lb = logCDF(-a)
            return lb + log1mexp(la - lb)
        }
        // Across the middle: 1 − Φ(a) − Φ(−b).
        return Foundation.log1p(-cdf(a) - cdf(-b))
    }

    /// log(1 − eˣ) for x ≤ 0.
    static func log1mexp(_ x: Double) -> Double {
        if x == 0 { return -.infinity }
        return x > -0.693_147_180_559_945_3 ? Foundation.log(-expm1(x)) : Foundation.log1p(-Foundation.exp(x))
    }

    /// The log density at `x` of N(mu, sigma²) truncated to [low, high].
    static func logPDF(_ x: Double, mu: Double, sigma: Double, low: Double, high: Double) -> Double {
        guard x >= low, x <= high else { return -.infinity }
        let z = (x - mu) / sigma
        return -0.5 * z * z - logSqrt2Pi - Foundation.log(sigma) - logMass((low - mu) / sigma, (high - mu) / sigma)
    }

    /// Φ⁻¹(p) for 0 < p < 1: Acklam's rational approximation refined by one Halley step.
    static func quantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * Foundation.log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * Foundation.log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = cdf(x) - p
        let u = e * (2 * Double.pi).squareRoot() * Foundation.exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// A draw from N(mu, sigma²) truncated to [low, high], from a uniform `u` in [0, 1).
    static func sample(u: Double, mu: Double, sigma: Double, low: Double, high: Double) -> Double {
        let a = (low - mu) / sigma, b = (high - mu) / sigma
        var z: Double
        if a >= 0 {
            // Right tail: work with the upper masses so the subtraction does not cancel.
            let sa = cdf(-a), sb = cdf(-b)
            z = -quantile(sa - u * (sa - sb))
        } else {
            let ca = cdf(a), cb = cdf(b)
            z = quantile(ca + u * (cb - ca))
        }
        if !z.isFinite { z = a.isFinite ? a : b }
        return min(max(mu + sigma * z, low), high)
    }
}
