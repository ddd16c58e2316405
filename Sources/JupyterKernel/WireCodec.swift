import Foundation

/// Turns ZeroMQ multipart frames into messages and back:
/// `[identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]`.
public struct WireCodec: Sendable {
    public static let delimiter: [UInt8] = Array("<IDS|MSG>".utf8)

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case missingDelimiter
        case missingFrames(Int)
        case badSignature
        case malformedHeader(String)

        public var description: String {
            switch self {
            case .missingDelimiter: return "no <IDS|MSG> delimiter"
            case .missingFrames(let n): return "expected 5 frames after the delimiter, got \(n)"
            case .badSignature: return "invalid HMAC signature"
            case .malformedHeader(let why): return "malformed header: \(why)"
            }
        }
    }

    public let signer: Signer
    public let session: String
    public let username: String
    private let counter = Counter()

    public init(signer: Signer, session: String = UUID().uuidString.lowercased(), username: String = "koan") {
        self.signer = signer; self.session = session; self.username = username
    }

    /// Splits frames and checks the signature over the raw bytes. No JSON is touched.
    public func split(_ frames: [[UInt8]]) throws -> RawMessage {
        guard let d = frames.firstIndex(of: Self.delimiter) else { throw DecodeError.missingDelimiter }
        let rest = frames.count - d - 1
        guard rest >= 5 else { throw DecodeError.missingFrames(rest) }
        let m = RawMessage(identities: Array(frames[..<d]), signature: frames[d + 1],
                           header: frames[d + 2], parentHeader: frames[d + 3],
                           metadata: frames[d + 4], content: frames[d + 5],
                           buffers: Array(frames[(d + 6)...]))
        guard signer.verify(signature: m.signature, frames: [m.header, m.parentHeader, m.metadata, m.content]) else {
            throw DecodeError.badSignature
        }
        return m
    }

    /// Verifies and decodes the header of an incoming message.
    public func decode(_ frames: [[UInt8]], channel: Channel) throws -> Request {
        let raw = try split(frames)
        do {
            let header = try JSONDecoder().decode(Header.self, from: Data(raw.header))
            return Request(identities: raw.identities, header: header, rawHeader: raw.header, content: raw.content, channel: channel)
        } catch {
            throw DecodeError.malformedHeader("\(error)")
        }
    }

    /// A fresh header for an outgoing message.
    public func header(_ msgType: String) -> Header {
        Header(msgID: "\(session)_\(counter.next())", session: session, username: username,
               date: Clock.isoNow(), msgType: msgType)
    }

    /// Frames for an outgoing message. `parent` is the request's header (nil → `{}`).
    public func encode<C: Encodable>(_ msgType: String, content: C, parent: Header?, identities: [[UInt8]],
                                     metadata: JSONObject = [:]) -> [[UInt8]] {
        let parentBytes = parent.flatMap { try? JSONEncoder().encode($0) }.map(Array.init)
        return encode(msgType, content: content, parentBytes: parentBytes, identities: identities, metadata: metadata)
    }

    /// Frames for an outgoing message whose parent header is already serialized.
    public func encode<C: Encodable>(_ msgType: String, content: C, parentBytes: [UInt8]?, identities: [[UInt8]],
                                     metadata: JSONObject = [:]) -> [[UInt8]] {
        encode(msgType, contentBytes: Self.serialize(content), parentBytes: parentBytes, identities: identities, metadata: metadata)
    }

    /// Content as JSON bytes. An unencodable value (e.g. a non-finite number) becomes `{}`
    /// rather than taking the kernel down.
    public static func serialize<C: Encodable>(_ content: C) -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.withoutEscapingSlashes]
        return (try? enc.encode(content)).map(Array.init) ?? Array("{}".utf8)
    }

    /// Frames for an outgoing message whose content is already serialized (constant
    /// contents such as `status: busy` or the kernel_info reply are encoded once).
    public func encode(_ msgType: String, contentBytes body: [UInt8], parentBytes: [UInt8]?, identities: [[UInt8]],
                       metadata: JSONObject = [:]) -> [[UInt8]] {
        let empty = Array("{}".utf8)
        let header = Self.serialize(self.header(msgType))
        let meta = metadata.isEmpty ? empty : Self.serialize(metadata)
        let parent = parentBytes ?? empty
        let sig = Array(signer.sign([header, parent, meta, body]).utf8)
        return identities + [Self.delimiter, sig, header, parent, meta, body]
    }
}

extension WireCodec {
    /// The header as JSON, written directly: every outgoing message needs one, and this
    /// is several times cheaper than a JSONEncoder round (the kernel's hottest path).
    static func serialize(_ h: Header) -> [UInt8] {
        var out = "{\"msg_id\":"
        out += JSONText.quote(h.msgID)
        out += ",\"session\":" + JSONText.quote(h.session)
        out += ",\"username\":" + JSONText.quote(h.username)
        out += ",\"date\":" + JSONText.quote(h.date)
        out += ",\"msg_type\":" + JSONText.quote(h.msgType)
        out += ",\"version\":" + JSONText.quote(h.version) + "}"
        return Array(out.utf8)
    }
}

/// JSON string literals, escaped as RFC 8259 requires.
enum JSONText {
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// A thread-safe message counter for msg_ids.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// ISO 8601 timestamps with microseconds and a timezone, as the protocol asks.
enum Clock {
    static func isoNow() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = time_t(tv.tv_sec)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(Int(tmv.tm_year) + 1900, 4))-\(pad(Int(tmv.tm_mon) + 1, 2))-\(pad(Int(tmv.tm_mday), 2))T"
            + "\(pad(Int(tmv.tm_hour), 2)):\(pad(Int(tmv.tm_min), 2)):\(pad(Int(tmv.tm_sec), 2)).\(pad(Int(tv.tv_usec), 6))Z"
    }
}
