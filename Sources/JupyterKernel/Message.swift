import Foundation

/// A message header (Jupyter messaging protocol 5.3).
public struct Header: Codable, Sendable, Equatable {
    public var msgID: String
    public var session: String
    public var username: String
    public var date: String
    public var msgType: String
    public var version: String

    enum CodingKeys: String, CodingKey {
        case msgID = "msg_id", session, username, date, msgType = "msg_type", version
    }

    public init(msgID: String, session: String, username: String, date: String, msgType: String, version: String = protocolVersion) {
        self.msgID = msgID; self.session = session; self.username = username
        self.date = date; self.msgType = msgType; self.version = version
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        msgID = try c.decode(String.self, forKey: .msgID)
        msgType = try c.decode(String.self, forKey: .msgType)
        session = try c.decodeIfPresent(String.self, forKey: .session) ?? ""
        username = try c.decodeIfPresent(String.self, forKey: .username) ?? ""
        date = try c.decodeIfPresent(String.self, forKey: .date) ?? ""
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? protocolVersion
    }
}

public let protocolVersion = "5.3"

/// The channels a kernel talks on (heartbeat is the transport's own business).
public enum Channel: String, Sendable, CaseIterable {
    case shell, control, stdin, iopub
}

/// A message as it arrived: routing identities and the raw bytes of every frame,
/// signature checked before any JSON is parsed.
public struct RawMessage: Sendable, Equatable {
    public var identities: [[UInt8]]
    public var signature: [UInt8]
    public var header: [UInt8]
    public var parentHeader: [UInt8]
    public var metadata: [UInt8]
    public var content: [UInt8]
    public var buffers: [[UInt8]]
}

/// A decoded incoming request: its header and raw content, ready for the typed decode
/// chosen by `header.msgType`.
public struct Request: Sendable {
    public var identities: [[UInt8]]
    public var header: Header
    /// The header exactly as received: replies and output carry it as their parent_header
    /// byte for byte, so it is never re-encoded.
    public var rawHeader: [UInt8]
    public var content: [UInt8]
    public var channel: Channel

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(content))
    }
}

/// An empty JSON object `{}` as a Codable value.
public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}
