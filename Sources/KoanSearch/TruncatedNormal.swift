import Foundation

/// The standard normal truncated to [a, b], as Optuna 5's `samplers/_tpe/_truncnorm.py`
/// (itself from SciPy): the same case splits, series and Newton iteration, so the Parzen
/// estimators of the TPE sampler give Optuna's densities and quantiles, far tails included
/// (the mass is always taken in the left tail, where log Φ is accurate). Checked against
/// Optuna by `tools/goldens/search.py` (Tests/KoanSearchTests/Fixtures/search_goldens.json).
enum TruncatedNormal {
    /// √(2π) and its log, as Optuna's `_norm_pdf_C` / `_norm_pdf_logC`.
    static let normPDFC = (2 * Double.pi).squareRoot()
    static let normPDFLogC = Foundation.log(normPDFC)
    /// √3 / π: the slope of the logistic approximation of Φ (`_ndtri_exp_approx_C`).
    static let ndtriExpApproxC = 3.0.squareRoot() / Double.pi
    static let sqrt2 = 2.0.squareRoot()
    /// NumPy's NPY_LOGE2.
    static let logE2 = 0.693_147_180_559_945_309_417_232_121_458_176_568

    /// Φ(a) for one value, as `_ndtr_single` (erfc on the tails, erf in the middle).
    static func ndtrSingle(_ a: Double) -> Double {
        let x = a / sqrt2
        if x < -1 / sqrt2 { return 0.5 * erfc(-x) }
        if x < 1 / sqrt2 { return 0.5 + 0.5 * erf(x) }
        return 1.0 - 0.5 * erfc(x)
    }

    /// Φ(a) as the vectorised `_ndtr`: 0.5 + 0.5·erf(a/√2) (used for the central mass).
    static func ndtr(_ a: Double) -> Double { 0.5 + 0.5 * erf(a / sqrt2) }

    /// log Φ(a), as `_log_ndtr_single`: −Φ(−a) above 6, log Φ(a) down to −20, the
    /// asymptotic series (summed until it stops changing) below.
    static func logNdtr(_ a: Double) -> Double {
        if a > 6 { return -ndtrSingle(-a) }
        if a > -20 { return Foundation.log(ndtrSingle(a)) }
        let a2 = a * a
        let logLHS = -0.5 * a2 - Foundation.log(-a) - 0.5 * Foundation.log(2 * Double.pi)
        var lastTotal = 0.0, rightHandSide = 1.0, numerator = 1.0, denomFactor = 1.0
        let denomCons = 1 / a2
        var sign = 1.0
        var i = 0
        while Swift.abs(lastTotal - rightHandSide) > Double.ulpOfOne {
            i += 1
            lastTotal = rightHandSide
            sign = -sign
            denomFactor *= denomCons
            numerator *= Double(2 * i - 1)
            rightHandSide += sign * numerator * denomFactor
        }
        return logLHS + Foundation.log(rightHandSide)
    }

    /// log(p − q) from log p and log q (`_log_diff`).
    static func logDiff(_ logP: Double, _ logQ: Double) -> Double {
        logP + Foundation.log1p(-Foundation.exp(logQ - logP))
    }

    /// NumPy's `logaddexp`.
    static func logAddExp(_ x: Double, _ y: Double) -> Double {
        if x == y { return x + logE2 }
        let t = x - y
        if t > 0 { return x + Foundation.log1p(Foundation.exp(-t)) }
        if t <= 0 { return y + Foundation.log1p(Foundation.exp(t)) }
        return t
    }

    /// log(Φ(b) − Φ(a)), as `_log_gauss_mass`: in the left tail when b ≤ 0, mirrored when
    /// a > 0, and log1p(−Φ(a) − Φ(−b)) across the middle.
    static func logGaussMass(_ a: Double, _ b: Double) -> Double {
        if a > 0 { return logDiff(logNdtr(-a), logNdtr(-b)) }
        if b <= 0 { return logDiff(logNdtr(b), logNdtr(a)) }
        return Foundation.log1p(-ndtr(a) - ndtr(-b))
    }

    /// log of the standard normal density (`_norm_logpdf`).
    static func normLogPDF(_ x: Double) -> Double { -(x * x) / 2.0 - normPDFLogC }

    /// Log density at `x` of N(loc, scale²) truncated to [loc + a·scale, loc + b·scale]
    /// (`logpdf`): −∞ outside, NaN when a = b.
    static func logPDF(_ x: Double, a: Double, b: Double, loc: Double, scale: Double) -> Double {
        let z = (x - loc) / scale
        if a == b { return .nan }
        if z < a || z > b { return -.infinity }
        return normLogPDF(z) - logGaussMass(a, b) - Foundation.log(scale)
    }

    /// The x with log Φ(x) = y (`_ndtri_exp`): a tail or logistic first guess, then Newton
    /// steps (at most 100) until the step is below 1e-8·|x|; y close to 0 is solved on the
    /// other side, as log(1 − eʸ).
    static func ndtriExp(_ y: Double) -> Double {
        let flipped = y > -1e-2
        let z = flipped ? Foundation.log(-expm1(y)) : y
        var x: Double
        if z < -5 {
            x = -(-2.0 * (z + normPDFLogC)).squareRoot()
        } else {
            x = -ndtriExpApproxC * Foundation.log(expm1(-z))
        }
        for _ in 0..<100 {
            let logNdtrX = logNdtr(x)
            let logNormPDFX = -0.5 * (x * x) - normPDFLogC
            let dx = (logNdtrX - z) * Foundation.exp(logNdtrX - logNormPDFX)
            x -= dx
            if Swift.abs(dx) < 1e-8 * Swift.abs(x) { break }
        }
        return flipped ? -x : x
    }

    /// The quantile q of the standard normal truncated to [a, b] (`ppf`): a at q = 0, b at
    /// q = 1, NaN when a = b; from the left tail when a < 0, else mirrored.
    static func ppf(_ q: Double, a: Double, b: Double) -> Double {
        if a == b { return .nan }
        if q == 0 { return a }
        if q == 1 { return b }
        let logMass = logGaussMass(a, b)
        if a < 0 {
            return ndtriExp(logAddExp(logNdtr(a), Foundation.log(q) + logMass))
        }
        return -ndtriExp(logAddExp(logNdtr(-b), Foundation.log1p(-q) + logMass))
    }

    /// A draw of N(loc, scale²) truncated to [loc + a·scale, loc + b·scale] from a uniform
    /// `u` in [0, 1) (`rvs`).
    static func rvs(u: Double, a: Double, b: Double, loc: Double, scale: Double) -> Double {
        ppf(u, a: a, b: b) * scale + loc
    }
}
