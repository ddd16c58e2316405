#if canImport(Glibc)
import Glibc
#endif

// librsvg and cairo, opened on the first PNG rather than linked: their stack (cairo, pango,
// harfbuzz, fontconfig, glib, X11 client libraries: about 45 shared objects) is most of
// what the dynamic loader does before `main`, and the kernel must bind its ports as soon
// as it starts (docs/performance.md, "Kernel start"). Only the few C declarations Koan
// calls are written here, with the layouts of librsvg 2.5x and cairo 1.16 headers.

/// Field offsets of the C structs passed by pointer: `GError` (domain: guint32, code: gint,
/// message: gchar*), `RsvgLength` (length: double, unit: RsvgUnit; 16 bytes, `RSVG_UNIT_PX`
/// is 1) and `RsvgRectangle` (x, y, width, height: double).
enum CLayout {
    static let gErrorMessage = 8
    static let rsvgLengthSize = 16, rsvgLengthUnit = 8, rsvgUnitPixels: Int32 = 1
    static let rsvgRectangleSize = 32, rsvgRectangleWidth = 16, rsvgRectangleHeight = 24
}

/// `cairo_status_t` and `cairo_format_t` values used here.
enum Cairo {
    static let success: Int32 = 0
    static let writeError: Int32 = 10
    static let formatARGB32: Int32 = 0
}

/// The librsvg, cairo and GLib functions PNG rendering calls, looked up once.
struct RenderLibrary {
    typealias WriteFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, UInt32) -> Int32

    let handleNewFromData: @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> OpaquePointer?
    let handleGetIntrinsicDimensions: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?,
                                                      UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?,
                                                      UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Void
    let handleRenderDocument: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafeRawPointer?,
                                              UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
    let objectUnref: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let errorFree: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let imageSurfaceCreate: @convention(c) (Int32, Int32, Int32) -> OpaquePointer?
    let surfaceDestroy: @convention(c) (OpaquePointer?) -> Void
    let surfaceStatus: @convention(c) (OpaquePointer?) -> Int32
    let surfaceFlush: @convention(c) (OpaquePointer?) -> Void
    let surfaceWriteToPNGStream: @convention(c) (OpaquePointer?, WriteFunction?, UnsafeMutableRawPointer?) -> Int32
    let imageSurfaceGetWidth: @convention(c) (OpaquePointer?) -> Int32
    let imageSurfaceGetHeight: @convention(c) (OpaquePointer?) -> Int32
    let imageSurfaceGetStride: @convention(c) (OpaquePointer?) -> Int32
    let imageSurfaceGetData: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<UInt8>?
    let create: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let destroy: @convention(c) (OpaquePointer?) -> Void
    let status: @convention(c) (OpaquePointer?) -> Int32
    let statusToString: @convention(c) (Int32) -> UnsafePointer<CChar>?

    /// The libraries, opened on first use (Swift initialises a static once, thread-safely).
    static let shared: Result<RenderLibrary, PlotError> = load()

    static func get() throws -> RenderLibrary { try shared.get() }

    private static func load() -> Result<RenderLibrary, PlotError> {
        Result { try RenderLibrary(opening: ["librsvg-2.so.2", "libcairo.so.2", "libgobject-2.0.so.0", "libglib-2.0.so.0"]) }
            .mapError { $0 as? PlotError ?? .renderFailed("\($0)") }
    }

    private init(opening sonames: [String]) throws {
        var handles: [UnsafeMutableRawPointer] = []
        for name in sonames {
            guard let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                let reason = dlerror().map { String(cString: $0) } ?? "not found"
                throw PlotError.renderFailed("PNG rendering needs librsvg and cairo (Debian: apt-get install librsvg2-2): \(reason)")
            }
            handles.append(h)
        }
        func sym<F>(_ name: String) throws -> F {
            for h in handles {
                if let p = dlsym(h, name) { return unsafeBitCast(p, to: F.self) }
            }
            throw PlotError.renderFailed("librsvg or cairo lacks \(name): librsvg ≥ 2.52 and cairo ≥ 1.10 are needed")
        }
        handleNewFromData = try sym("rsvg_handle_new_from_data")
        handleGetIntrinsicDimensions = try sym("rsvg_handle_get_intrinsic_dimensions")
        handleRenderDocument = try sym("rsvg_handle_render_document")
        objectUnref = try sym("g_object_unref")
        errorFree = try sym("g_error_free")
        imageSurfaceCreate = try sym("cairo_image_surface_create")
        surfaceDestroy = try sym("cairo_surface_destroy")
        surfaceStatus = try sym("cairo_surface_status")
        surfaceFlush = try sym("cairo_surface_flush")
        surfaceWriteToPNGStream = try sym("cairo_surface_write_to_png_stream")
        imageSurfaceGetWidth = try sym("cairo_image_surface_get_width")
        imageSurfaceGetHeight = try sym("cairo_image_surface_get_height")
        imageSurfaceGetStride = try sym("cairo_image_surface_get_stride")
        imageSurfaceGetData = try sym("cairo_image_surface_get_data")
        create = try sym("cairo_create")
        destroy = try sym("cairo_destroy")
        status = try sym("cairo_status")
        statusToString = try sym("cairo_status_to_string")
    }

    /// The message of a cairo status.
    func describe(_ status: Int32) -> String { statusToString(status).map { String(cString: $0) } ?? "status \(status)" }
}
