/// Every way a safetensors file or a write request can be wrong, as data. Each case names
/// the file, and the tensor and header field where there is one.
///
///     do { _ = try SafetensorsFile(path: "model.safetensors") }
///     catch let e as SafetensorsError { print(e) }   // cannot read 'model.safetensors': …
public enum SafetensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The operating system refused to open, stat or read the file.
    case io(path: String, reason: String)
    /// A problem with the file as a whole: the length prefix, the JSON syntax, the
    /// top-level object, `__metadata__`, or byte-buffer coverage.
    case invalidHeader(path: String, reason: String)
    /// A problem with one tensor's header entry; `field` is `dtype`, `shape`,
    /// `data_offsets` or the entry itself (`""`).
    case invalidTensor(path: String, tensor: String, field: String, reason: String)
    /// A tensor whose dtype is valid safetensors but has no Koan `DType` (U8, I16, F8_E4M3, …).
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// `array(_:)` with a name the file does not hold.
    case tensorNotFound(path: String, name: String, available: [String])
    /// The file changed size since its header was read.
    case fileChanged(path: String, reason: String)
    /// A bad write request: empty, duplicate or reserved tensor names.
    case invalidName(path: String, name: String, reason: String)
    /// The file could not be written (the OS reason); the previous file is untouched.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .invalidHeader(path, reason):
            return "cannot read '\(path)': invalid safetensors header: \(reason)"
        case let .invalidTensor(path, tensor, field, reason):
            let at = field.isEmpty ? "tensor '\(tensor)'" : "tensor '\(tensor)', field '\(field)'"
            return "cannot read '\(path)': \(at): \(reason)"
        case let .unsupportedDType(path, tensor, dtype):
            return "cannot read '\(path)': tensor '\(tensor)' has dtype \(dtype), which Koan does not support "
                + "(supported: F64, F32, F16, BF16, I64, I32, I8, BOOL)"
        case let .tensorNotFound(path, name, available):
            let shown = available.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            let more = available.count > 8 ? ", … (\(available.count) in all)" : ""
            let list = available.isEmpty ? "the file holds no tensors" : "it holds \(shown)\(more)"
            return "cannot read '\(path)': no tensor named '\(name)'; \(list)"
        case let .fileChanged(path, reason):
            return "cannot read '\(path)': the file changed since its header was read: \(reason)"
        case let .invalidName(path, name, reason):
            return "cannot write '\(path)': tensor name '\(name)' \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason)"
        }
    }
}
