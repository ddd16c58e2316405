import Foundation

// Typed contents of the messages Koan reads and writes (Jupyter messaging 5.3).
// Field names follow the spec; optional request fields default as ipykernel does.

// MARK: - kernel_info

public struct LanguageInfo: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var mimetype: String
    public var fileExtension: String
    public var pygmentsLexer: String
    public var codemirrorMode: String
    enum CodingKeys: String, CodingKey {
        case name, version, mimetype, fileExtension = "file_extension"
        case pygmentsLexer = "pygments_lexer", codemirrorMode = "codemirror_mode"
    }
    public init(name: String, version: String, mimetype: String, fileExtension: String,
                pygmentsLexer: String, codemirrorMode: String) {
        self.name = name; self.version = version; self.mimetype = mimetype
        self.fileExtension = fileExtension; self.pygmentsLexer = pygmentsLexer; self.codemirrorMode = codemirrorMode
    }
}

public struct HelpLink: Codable, Sendable, Equatable {
    public var text: String
    public var url: String
    public init(text: String, url: String) { self.text = text; self.url = url }
}

public struct KernelInfo: Codable, Sendable, Equatable {
    public var status = "ok"
    public var protocolVersion = JupyterKernel.protocolVersion
    public var implementation: String
    public var implementationVersion: String
    public var languageInfo: LanguageInfo
    public var banner: String
    public var helpLinks: [HelpLink]
    public var debugger = false
    enum CodingKeys: String, CodingKey {
        case status, protocolVersion = "protocol_version", implementation
        case implementationVersion = "implementation_version", languageInfo = "language_info"
        case banner, helpLinks = "help_links", debugger
    }
    public init(implementation: String, implementationVersion: String, languageInfo: LanguageInfo,
                banner: String, helpLinks: [HelpLink]) {
        self.implementation = implementation; self.implementationVersion = implementationVersion
        self.languageInfo = languageInfo; self.banner = banner; self.helpLinks = helpLinks
    }
}

// MARK: - execute

public struct ExecuteRequest: Codable, Sendable, Equatable {
    public var code: String
    public var silent: Bool
    public var storeHistory: Bool
    public var userExpressions: [String: String]
    public var allowStdin: Bool
    public var stopOnError: Bool
    enum CodingKeys: String, CodingKey {
        case code, silent, storeHistory = "store_history", userExpressions = "user_expressions"
        case allowStdin = "allow_stdin", stopOnError = "stop_on_error"
    }
    public init(code: String, silent: Bool = false, storeHistory: Bool = true, userExpressions: [String: String] = [:],
                allowStdin: Bool = true, stopOnError: Bool = true) {
        self.code = code; self.silent = silent; self.storeHistory = storeHistory
        self.userExpressions = userExpressions; self.allowStdin = allowStdin; self.stopOnError = stopOnError
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        silent = try c.decodeIfPresent(Bool.self, forKey: .silent) ?? false
        storeHistory = try c.decodeIfPresent(Bool.self, forKey: .storeHistory) ?? !silent
        userExpressions = try c.decodeIfPresent([String: String].self, forKey: .userExpressions) ?? [:]
        allowStdin = try c.decodeIfPresent(Bool.self, forKey: .allowStdin) ?? true
        stopOnError = try c.decodeIfPresent(Bool.self, forKey: .stopOnError) ?? true
    }
}

public struct ExecuteReply: Encodable, Sendable {
    public var status: String
    public var executionCount: Int
    public var userExpressions: JSONObject?
    public var payload: [JSONValue]?
    public var ename: String?
    public var evalue: String?
    public var traceback: [String]?
    enum CodingKeys: String, CodingKey {
        case status, executionCount = "execution_count", userExpressions = "user_expressions"
        case payload, ename, evalue, traceback
    }
}

public struct ExecuteInput: Codable, Sendable { public var code: String; public var execution_count: Int }

public struct ExecuteResult: Codable, Sendable {
    public var execution_count: Int
    public var data: JSONObject
    public var metadata: JSONObject
}

public struct DisplayData: Codable, Sendable {
    public var data: JSONObject
    public var metadata: JSONObject
    public var transient: JSONObject?
}

public struct StreamContent: Codable, Sendable { public var name: String; public var text: String }

public struct ErrorContent: Codable, Sendable {
    public var ename: String
    public var evalue: String
    public var traceback: [String]
}

public struct ClearOutput: Codable, Sendable { public var wait: Bool }

public struct Status: Codable, Sendable { public var execution_state: String }

/// JEP 65: published on IOPub for each new subscription, so a client knows it is connected.
public struct IopubWelcome: Codable, Sendable { public var subscription: String }

// MARK: - complete / inspect / is_complete

public struct CompleteRequest: Codable, Sendable { public var code: String; public var cursor_pos: Int }

public struct CompleteReply: Codable, Sendable, Equatable {
    public var status = "ok"
    public var matches: [String]
    public var cursor_start: Int
    public var cursor_end: Int
    public var metadata: JSONObject = [:]
    public init(matches: [String], cursorStart: Int, cursorEnd: Int) {
        self.matches = matches; self.cursor_start = cursorStart; self.cursor_end = cursorEnd
    }
}

public struct InspectRequest: Codable, Sendable {
    public var code: String
    public var cursor_pos: Int
    public var detail_level: Int?
}

public struct InspectReply: Codable, Sendable, Equatable {
    public var status = "ok"
    public var found: Bool
    public var data: JSONObject
    public var metadata: JSONObject = [:]
    public init(found: Bool, data: JSONObject) { self.found = found; self.data = data }
}

public struct IsCompleteRequest: Codable, Sendable { public var code: String }

public struct IsCompleteReply: Codable, Sendable, Equatable {
    public var status: String
    public var indent: String?
    public init(status: String, indent: String? = nil) { self.status = status; self.indent = indent }
}

// MARK: - history

public struct HistoryRequest: Codable, Sendable {
    public var output: Bool?
    public var raw: Bool?
    public var hist_access_type: String
    public var session: Int?
    public var start: Int?
    public var stop: Int?
    public var n: Int?
    public var pattern: String?
    public var unique: Bool?
}

public struct HistoryReply: Encodable, Sendable {
    public var status = "ok"
    /// Each entry is `[session, line, input]` or `[session, line, [input, output]]`.
    public var history: [JSONValue]
}

// MARK: - comms, stdin, control

public struct CommInfoReply: Codable, Sendable {
    public var status = "ok"
    public var comms: JSONObject = [:]
}

public struct CommOpen: Codable, Sendable {
    public var comm_id: String
    public var target_name: String?
}

public struct CommClose: Codable, Sendable {
    public var comm_id: String
    public var data: JSONObject = [:]
}

public struct InputRequest: Codable, Sendable { public var prompt: String; public var password: Bool }

public struct InputReply: Codable, Sendable { public var value: String }

public struct ShutdownRequest: Codable, Sendable { public var restart: Bool? }

public struct ShutdownReply: Codable, Sendable { public var status = "ok"; public var restart: Bool }

public struct StatusOnly: Codable, Sendable { public var status = "ok" }
