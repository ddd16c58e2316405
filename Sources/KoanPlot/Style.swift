import Foundation

/// An sRGB colour with 8-bit channels.
struct RGB: Equatable {
    var r: UInt8, g: UInt8, b: UInt8

    /// `#rrggbb`.
    var hex: String { String(format: "#%02x%02x%02x", r, g, b) }

    /// Parses `#rgb` or `#rrggbb`; anything else is nil.
    init?(hex: String) {
        guard hex.hasPrefix("#") else { return nil }
        var digits = Array(hex.dropFirst())
        if digits.count == 3 { digits = digits.flatMap { [$0, $0] } }
        guard digits.count == 6, let v = UInt32(String(digits), radix: 16) else { return nil }
        r = UInt8((v >> 16) & 0xff); g = UInt8((v >> 8) & 0xff); b = UInt8(v & 0xff)
    }

    init(r: UInt8, g: UInt8, b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// WCAG relative luminance 0…1.
    var luminance: Double {
        func lin(_ c: UInt8) -> Double {
            let s = Double(c) / 255
            return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    /// Black or white, whichever reads better on this colour.
    var contrastingText: RGB { luminance > 0.179 ? RGB(r: 0, g: 0, b: 0) : RGB(r: 255, g: 255, b: 255) }
}

/// Series colours, in order (Vega's default "tableau10", so the SVG and Vega-Lite agree).
let palette: [String] = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
                         "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"]

/// The colour of series `index`: its own valid override, else the palette (cycling).
func seriesColour(_ series: Series, index: Int) -> String {
    if let c = series.colour, let rgb = RGB(hex: c) { return rgb.hex }
    return palette[index % palette.count]
}

extension ColourScale {
    /// Evenly spaced stops from low to high.
    var stops: [RGB] {
        switch self {
        case .viridis:
            return ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
                    "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"].compactMap { RGB(hex: $0) }
        case .blues:
            return ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6",
                    "#2171b5", "#08519c", "#08306b"].compactMap { RGB(hex: $0) }
        }
    }

    /// The Vega scheme name with the same ramp.
    var vegaScheme: String { rawValue }

    /// The colour at `t` in 0…1 (clamped), linearly interpolated between stops.
    func colour(at t: Double) -> RGB {
        let s = stops
        let u = t.isFinite ? Swift.min(Swift.max(t, 0), 1) : 0
        let pos = u * Double(s.count - 1)
        let i = Swift.min(Int(pos), s.count - 2)
        let f = pos - Double(i)
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * f).rounded()) }
        return RGB(r: mix(s[i].r, s[i + 1].r), g: mix(s[i].g, s[i + 1].g), b: mix(s[i].b, s[i + 1].b))
    }
}

/// Rough width in pixels of `text` in a sans-serif font of `size` pixels.
func textWidth(_ text: String, size: Double) -> Double {
    Double(text.count) * size * 0.6
}
