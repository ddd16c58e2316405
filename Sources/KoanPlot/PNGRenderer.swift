import CRsvg

extension Figure {
    /// The figure's SVG rendered by librsvg and cairo into PNG bytes; `scale` 2 gives a double-resolution image.
    /// Calls ``validate()`` first.
    ///
    /// ```swift
    /// let bytes = try Figure.line(x: nil, y: [1, 2, 3]).png(scale: 2)   // starts with 0x89 "PNG"
    /// ```
    public func png(scale: Double = 1) throws -> [UInt8] {
        try validate()
        return try RsvgBridge.png(svg: svg(), scale: scale)
    }

    /// The rendered image as straight (non-premultiplied) RGBA bytes, row by row, for tests and previews.
    func rgba(scale: Double = 1) throws -> RGBAImage {
        try validate()
        return try RsvgBridge.rgba(svg: svg(), scale: scale)
    }
}

/// A decoded image: `width * height * 4` bytes in R, G, B, A order, top row first.
struct RGBAImage {
    var width: Int
    var height: Int
    var pixels: [UInt8]

    /// The pixel at column `x`, row `y`, or nil outside the image.
    func pixel(_ x: Int, _ y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8)? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let i = (y * width + x) * 4
        return (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
    }
}

/// Renders SVG text with librsvg onto a cairo image surface.
enum RsvgBridge {
    /// Largest accepted side of a rendered image, in pixels.
    static let maxSide = 16_384

    static func png(svg: String, scale: Double) throws -> [UInt8] {
        try withSurface(svg: svg, scale: scale) { surface in
            final class Sink { var bytes: [UInt8] = [] }
            let sink = Sink()
            let box = Unmanaged.passRetained(sink)
            defer { box.release() }
            let status = cairo_surface_write_to_png_stream(surface, { closure, data, length in
                guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
                let sink = Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue()
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                return CAIRO_STATUS_SUCCESS
            }, box.toOpaque())
            guard status == CAIRO_STATUS_SUCCESS else {
                throw PlotError.renderFailed("cairo PNG encoding: \(String(cString: cairo_status_to_string(status)))")
            }
            return sink.bytes
        }
    }

    static func rgba(svg: String, scale: Double) throws -> RGBAImage {
        try withSurface(svg: svg, scale: scale) { surface in
            cairo_surface_flush(surface)
            let w = Int(cairo_image_surface_get_width(surface)), h = Int(cairo_image_surface_get_height(surface))
            let stride = Int(cairo_image_surface_get_stride(surface))
            guard let data = cairo_image_surface_get_data(surface) else { throw PlotError.renderFailed("no pixel data") }
            var out = [UInt8](repeating: 0, count: w * h * 4)
            for y in 0..<h {
                let row = data.advanced(by: y * stride).withMemoryRebound(to: UInt32.self, capacity: w) { $0 }
                for x in 0..<w {
                    // CAIRO_FORMAT_ARGB32: native-endian 32-bit words, premultiplied alpha
                    let p = row[x]
                    let a = UInt32((p >> 24) & 0xff)
                    func channel(_ c: UInt32) -> UInt8 { a == 0 ? 0 : UInt8(min(255, (c * 255 + a / 2) / a)) }
                    let i = (y * w + x) * 4
                    out[i] = channel((p >> 16) & 0xff)
                    out[i + 1] = channel((p >> 8) & 0xff)
                    out[i + 2] = channel(p & 0xff)
                    out[i + 3] = UInt8(a)
                }
            }
            return RGBAImage(width: w, height: h, pixels: out)
        }
    }

    /// Parses `svg`, renders it at `scale` onto a fresh ARGB32 surface and hands the surface to `body`.
    private static func withSurface<T>(svg: String, scale: Double,
                                       _ body: (OpaquePointer) throws -> T) throws -> T {
        guard scale.isFinite, scale > 0 else { throw PlotError.invalidScale(scale) }
        var error: UnsafeMutablePointer<GError>? = nil
        let bytes = Array(svg.utf8)
        guard let handle = bytes.withUnsafeBufferPointer({ rsvg_handle_new_from_data($0.baseAddress, gsize($0.count), &error) }) else {
            throw PlotError.renderFailed("librsvg could not parse the SVG: \(takeMessage(&error))")
        }
        defer { g_object_unref(UnsafeMutableRawPointer(handle)) }
        var hasW: gboolean = 0, hasH: gboolean = 0
        var width = RsvgLength(), height = RsvgLength()
        var hasViewBox: gboolean = 0
        var viewBox = RsvgRectangle()
        rsvg_handle_get_intrinsic_dimensions(handle, &hasW, &width, &hasH, &height, &hasViewBox, &viewBox)
        let baseW = hasW != 0 && width.unit == RSVG_UNIT_PX ? width.length : (hasViewBox != 0 ? viewBox.width : 480)
        let baseH = hasH != 0 && height.unit == RSVG_UNIT_PX ? height.length : (hasViewBox != 0 ? viewBox.height : 300)
        let pw = (baseW * scale).rounded(), ph = (baseH * scale).rounded()
        guard pw >= 1, ph >= 1, pw <= Double(maxSide), ph <= Double(maxSide) else { throw PlotError.invalidScale(scale) }

        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(pw), Int32(ph)) else {
            throw PlotError.renderFailed("cairo could not create a \(Int(pw))×\(Int(ph)) surface")
        }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw PlotError.renderFailed("cairo surface: \(String(cString: cairo_status_to_string(cairo_surface_status(surface))))")
        }
        guard let cr = cairo_create(surface) else { throw PlotError.renderFailed("cairo_create failed") }
        defer { cairo_destroy(cr) }
        var viewport = RsvgRectangle(x: 0, y: 0, width: pw, height: ph)
        guard rsvg_handle_render_document(handle, cr, &viewport, &error) != 0 else {
            throw PlotError.renderFailed("librsvg: \(takeMessage(&error))")
        }
        guard cairo_status(cr) == CAIRO_STATUS_SUCCESS else {
            throw PlotError.renderFailed("cairo: \(String(cString: cairo_status_to_string(cairo_status(cr))))")
        }
        return try body(surface)
    }

    /// The GError's message (freeing it), or "unknown error".
    private static func takeMessage(_ error: inout UnsafeMutablePointer<GError>?) -> String {
        guard let e = error else { return "unknown error" }
        let message = e.pointee.message.map { String(cString: $0) } ?? "unknown error"
        g_error_free(e)
        error = nil
        return message
    }
}
