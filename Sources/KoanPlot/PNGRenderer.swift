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
        let lib = try RenderLibrary.get()
        return try withSurface(lib, svg: svg, scale: scale) { surface in
            final class Sink { var bytes: [UInt8] = [] }
            let sink = Sink()
            let box = Unmanaged.passRetained(sink)
            defer { box.release() }
            let status = lib.surfaceWriteToPNGStream(surface, { closure, data, length in
                guard let closure, let data else { return Cairo.writeError }
                let sink = Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue()
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                return Cairo.success
            }, box.toOpaque())
            guard status == Cairo.success else {
                throw PlotError.renderFailed("cairo PNG encoding: \(lib.describe(status))")
            }
            return sink.bytes
        }
    }

    static func rgba(svg: String, scale: Double) throws -> RGBAImage {
        let lib = try RenderLibrary.get()
        return try withSurface(lib, svg: svg, scale: scale) { surface in
            lib.surfaceFlush(surface)
            let w = Int(lib.imageSurfaceGetWidth(surface)), h = Int(lib.imageSurfaceGetHeight(surface))
            let stride = Int(lib.imageSurfaceGetStride(surface))
            guard let data = lib.imageSurfaceGetData(surface) else { throw PlotError.renderFailed("no pixel data") }
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
    private static func withSurface<T>(_ lib: RenderLibrary, svg: String, scale: Double,
                                       _ body: (OpaquePointer) throws -> T) throws -> T {
        guard scale.isFinite, scale > 0 else { throw PlotError.invalidScale(scale) }
        var error: UnsafeMutableRawPointer? = nil
        let bytes = Array(svg.utf8)
        guard let handle = bytes.withUnsafeBufferPointer({ lib.handleNewFromData($0.baseAddress, $0.count, &error) }) else {
            throw PlotError.renderFailed("librsvg could not parse the SVG: \(takeMessage(lib, &error))")
        }
        defer { lib.objectUnref(UnsafeMutableRawPointer(handle)) }
        var hasW: Int32 = 0, hasH: Int32 = 0, hasViewBox: Int32 = 0
        // Two RsvgLengths and an RsvgRectangle, zeroed, in one buffer.
        let out = UnsafeMutableRawPointer.allocate(byteCount: 2 * CLayout.rsvgLengthSize + CLayout.rsvgRectangleSize, alignment: 8)
        defer { out.deallocate() }
        out.initializeMemory(as: UInt8.self, repeating: 0, count: 2 * CLayout.rsvgLengthSize + CLayout.rsvgRectangleSize)
        let width = out, height = out + CLayout.rsvgLengthSize, viewBox = out + 2 * CLayout.rsvgLengthSize
        lib.handleGetIntrinsicDimensions(handle, &hasW, width, &hasH, height, &hasViewBox, viewBox)
        func pixels(_ length: UnsafeMutableRawPointer, _ has: Int32) -> Double? {
            guard has != 0, length.load(fromByteOffset: CLayout.rsvgLengthUnit, as: Int32.self) == CLayout.rsvgUnitPixels else { return nil }
            return length.load(as: Double.self)
        }
        let boxW = viewBox.load(fromByteOffset: CLayout.rsvgRectangleWidth, as: Double.self)
        let boxH = viewBox.load(fromByteOffset: CLayout.rsvgRectangleHeight, as: Double.self)
        let baseW = pixels(width, hasW) ?? (hasViewBox != 0 ? boxW : 480)
        let baseH = pixels(height, hasH) ?? (hasViewBox != 0 ? boxH : 300)
        let pw = (baseW * scale).rounded(), ph = (baseH * scale).rounded()
        guard pw >= 1, ph >= 1, pw <= Double(maxSide), ph <= Double(maxSide) else { throw PlotError.invalidScale(scale) }

        guard let surface = lib.imageSurfaceCreate(Cairo.formatARGB32, Int32(pw), Int32(ph)) else {
            throw PlotError.renderFailed("cairo could not create a \(Int(pw))×\(Int(ph)) surface")
        }
        defer { lib.surfaceDestroy(surface) }
        guard lib.surfaceStatus(surface) == Cairo.success else {
            throw PlotError.renderFailed("cairo surface: \(lib.describe(lib.surfaceStatus(surface)))")
        }
        guard let cr = lib.create(surface) else { throw PlotError.renderFailed("cairo_create failed") }
        defer { lib.destroy(cr) }
        let viewport = [0, 0, pw, ph]  // an RsvgRectangle: x, y, width, height
        guard viewport.withUnsafeBytes({ lib.handleRenderDocument(handle, cr, $0.baseAddress, &error) }) != 0 else {
            throw PlotError.renderFailed("librsvg: \(takeMessage(lib, &error))")
        }
        guard lib.status(cr) == Cairo.success else {
            throw PlotError.renderFailed("cairo: \(lib.describe(lib.status(cr)))")
        }
        return try body(surface)
    }

    /// The GError's message (freeing it), or "unknown error".
    private static func takeMessage(_ lib: RenderLibrary, _ error: inout UnsafeMutableRawPointer?) -> String {
        guard let e = error else { return "unknown error" }
        let text = e.load(fromByteOffset: CLayout.gErrorMessage, as: UnsafeMutablePointer<CChar>?.self)
        let message = text.map { String(cString: $0) } ?? "unknown error"
        lib.errorFree(e)
        error = nil
        return message
    }
}
