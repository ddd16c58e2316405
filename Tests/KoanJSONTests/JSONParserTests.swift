import KoanJSON
import XCTest

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue? {
        do { return try JSONValue(parsing: text) } catch {
            XCTFail("\(text): \(error)", file: file, line: line)
            return nil
        }
    }

    private func fails(_ text: String, _ reason: JSONError.Reason, at offset: Int,
                       file: StaticString = #filePath, line: UInt = #line) {
        fails(Array(text.utf8), reason, at: offset, file: file, line: line)
    }

    private func fails(_ bytes: [UInt8], _ reason: JSONError.Reason, at offset: Int, maxDepth: Int = JSONValue.defaultMaxDepth,
                       file: StaticString = #filePath, line: UInt = #line) {
        do {
            let v = try JSONValue(parsing: bytes, maxDepth: maxDepth)
            XCTFail("\(String(decoding: bytes, as: UTF8.self)) parsed as \(v)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, JSONError(reason: reason, offset: offset), "\(error)", file: file, line: line)
        }
    }

    func testScalarsAndContainers() {
        XCTAssertEqual(parse("null"), .null)
        XCTAssertEqual(parse(" \t\r\ntrue\n"), .bool(true))
        XCTAssertEqual(parse("false"), .bool(false))
        XCTAssertEqual(parse(#""hi""#), .string("hi"))
        XCTAssertEqual(parse("[]"), .array([]))
        XCTAssertEqual(parse("{}"), .object([]))
        XCTAssertEqual(parse(#" [ 1 , "a" , [ ] , { } ] "#), [1, "a", [], .object([])])
        XCTAssertEqual(parse(#"{"b":1,"a":{"c":[null,false]}}"#), ["b": 1, "a": ["c": [.null, false]]])
    }

    func testObjectsKeepOrderDuplicatesAndExactKeys() throws {
        let v = try XCTUnwrap(parse(#"{"z":1,"a":2,"z":3,"e\u0301":4,"é":5}"#))
        XCTAssertEqual(v.object?.map(\.0), ["z", "a", "z", "e\u{301}", "\u{E9}"])
        XCTAssertEqual(v["z"], 3, "the last duplicate wins")
        XCTAssertEqual(v["e\u{301}"], 4, "keys are not merged by canonical equivalence")
        XCTAssertEqual(v["\u{E9}"], 5)
        XCTAssertNil(v["missing"])
        XCTAssertNotEqual(JSONValue.object([("e\u{301}", 1)]), .object([("\u{E9}", 1)]))
    }

    func testNumbers() {
        XCTAssertEqual(parse("0"), .number(.int(0)))
        XCTAssertEqual(parse("-12"), .number(.int(-12)))
        XCTAssertEqual(parse("9223372036854775807"), .number(.int(.max)))
        XCTAssertEqual(parse("-9223372036854775808"), .number(.int(.min)))
        XCTAssertEqual(parse("9007199254740993"), .number(.int(9_007_199_254_740_993)), "exact beyond 2^53")
        XCTAssertEqual(parse("9223372036854775808"), .number(.double(9.223372036854775808e18)))
        XCTAssertEqual(parse("-9223372036854775809"), .number(.double(-9.223372036854775809e18)))
        XCTAssertEqual(parse("123456789012345678901234567890"), .number(.double(1.2345678901234568e29)))
        XCTAssertEqual(parse("-0"), .number(.double(-0.0)))
        XCTAssertEqual(parse("-0")?.double?.sign, .minus)
        XCTAssertEqual(parse("1.0"), .number(.double(1)))
        XCTAssertEqual(parse("0.1"), .number(.double(0.1)))
        XCTAssertEqual(parse("-2.5e-3"), .number(.double(-0.0025)))
        XCTAssertEqual(parse("1E2"), .number(.double(100)))
        XCTAssertEqual(parse("1e+2"), .number(.double(100)))
        XCTAssertEqual(parse("1e-400"), .number(.double(0)), "underflow rounds to zero")
        XCTAssertEqual(parse("1.7976931348623157e308"), .number(.double(.greatestFiniteMagnitude)))
        XCTAssertEqual(parse("2.2250738585072014e-308"), .number(.double(.leastNormalMagnitude)))
        XCTAssertEqual(parse("[1e2]")?[0]?.int, 100, "a whole double reads as an Int")
        XCTAssertNil(parse("0.5")?.int)
        XCTAssertNil(parse("1e30")?.int)
        XCTAssertEqual(parse("7")?.double, 7)
        XCTAssertEqual(parse("7")?.kind, "an integer")
        XCTAssertEqual(parse("7.5")?.kind, "a number")
    }

    func testStringsAndEscapes() {
        XCTAssertEqual(parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(parse(#""\u0041\u00e9\u4E2D""#), .string("Aé中"))
        XCTAssertEqual(parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(parse(#""\u0000""#), .string("\u{0}"))
        XCTAssertEqual(parse("\"é中😀\u{7F}\""), .string("é中😀\u{7F}"), "raw UTF-8 and DEL pass through")
        XCTAssertEqual(parse(#""a\nb" "#)?.string, "a\nb")
    }

    func testLoneSurrogates() throws {
        fails(#""\ud800""#, .unpairedSurrogate, at: 1)
        fails(#""\udc00""#, .unpairedSurrogate, at: 1)
        fails(#""x\ud800\u0041""#, .unpairedSurrogate, at: 2)
        XCTAssertEqual(try JSONValue(parsing: #""\ud800\u0041\udc00""#, loneSurrogates: .replace), .string("\u{FFFD}A\u{FFFD}"))
        XCTAssertEqual(try JSONValue(parsing: #""\ud800\ud83d\ude00""#, loneSurrogates: .replace), .string("\u{FFFD}😀"))
    }

    func testInvalidInput() {
        fails("", .unexpectedEnd, at: 0)
        fails("   ", .unexpectedEnd, at: 3)
        fails("[1, 2", .unexpectedEnd, at: 5)
        fails(#"{"a":"#, .unexpectedEnd, at: 5)
        fails(#"{"a""#, .unexpectedEnd, at: 4)
        fails("[1 2]", .expectedCommaOr("]"), at: 3)
        fails(#"{"a":1 "b":2}"#, .expectedCommaOr("}"), at: 7)
        fails(#"{"a" 1}"#, .expectedColon, at: 5)
        fails("{'a':1}", .expectedKey, at: 1)
        fails(#"{"a":1,}"#, .expectedKey, at: 7)
        fails("{1:2}", .expectedKey, at: 1)
        fails("[1,]", .unexpectedCharacter(UInt8(ascii: "]")), at: 3)
        fails("[,1]", .unexpectedCharacter(UInt8(ascii: ",")), at: 1)
        fails("{} x", .trailingText, at: 3)
        fails("1 2", .trailingText, at: 2)
        fails("tru", .invalidLiteral, at: 0)
        fails("nul", .invalidLiteral, at: 0)
        fails("True", .unexpectedCharacter(UInt8(ascii: "T")), at: 0)
        fails("NaN", .unexpectedCharacter(UInt8(ascii: "N")), at: 0)
        fails("[Infinity]", .unexpectedCharacter(UInt8(ascii: "I")), at: 1)
        fails("// c\n1", .unexpectedCharacter(UInt8(ascii: "/")), at: 0)
        fails("\u{FEFF}1", .unexpectedCharacter(0xEF), at: 0)
        fails("01", .invalidNumber("leading zero in a number"), at: 1)
        fails("-01", .invalidNumber("leading zero in a number"), at: 2)
        fails("-", .invalidNumber("expected a digit"), at: 1)
        fails("-a", .invalidNumber("expected a digit"), at: 1)
        fails("+1", .unexpectedCharacter(UInt8(ascii: "+")), at: 0)
        fails(".5", .unexpectedCharacter(UInt8(ascii: ".")), at: 0)
        fails("1.", .invalidNumber("expected a digit after '.'"), at: 2)
        fails("1.e5", .invalidNumber("expected a digit after '.'"), at: 2)
        fails("1e", .invalidNumber("expected a digit in the exponent"), at: 2)
        fails("1e+", .invalidNumber("expected a digit in the exponent"), at: 3)
        fails("[1e400]", .numberOutOfRange, at: 1)
        fails("-1e400", .numberOutOfRange, at: 0)
        fails(#""abc"#, .unterminatedString, at: 0)
        fails(#"["a\"#, .unterminatedString, at: 1)
        fails("\"a\u{1}\"", .controlCharacterInString, at: 2)
        fails("\"a\nb\"", .controlCharacterInString, at: 2)
        fails(#""\q""#, .invalidEscape(UInt8(ascii: "q")), at: 1)
        fails(#""\x41""#, .invalidEscape(UInt8(ascii: "x")), at: 1)
        fails(#""\u12G4""#, .invalidUnicodeEscape, at: 5)
        fails(#""\u12"#, .invalidUnicodeEscape, at: 5)
        fails([0x22, 0xFF, 0x22], .invalidUTF8, at: 0)
        fails([0x22, 0xC3, 0x22], .invalidUTF8, at: 0)
        fails([0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, at: 0)  // an encoded surrogate
        fails([0x5B, 0xC3, 0xA9, 0x5D], .unexpectedCharacter(0xC3), at: 1)
    }

    func testErrorText() {
        XCTAssertThrowsError(try JSONValue(parsing: "[1, 2")) { error in
            XCTAssertEqual("\(error)", "unexpected end of JSON at byte 5")
        }
        XCTAssertEqual(JSONError(reason: .invalidEscape(0x01), offset: 3).description, "invalid escape '\\\\x1' at byte 3")
        XCTAssertEqual(JSONError(reason: .tooDeep(limit: 4), offset: 4).message, "JSON nested deeper than 4 levels")
    }

    func testNestingLimit() throws {
        func nested(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        XCTAssertNotNil(try JSONValue(parsing: nested(JSONValue.defaultMaxDepth)))
        fails(nested(JSONValue.defaultMaxDepth + 1), .tooDeep(limit: JSONValue.defaultMaxDepth), at: JSONValue.defaultMaxDepth)
        fails(Array(nested(100_000).utf8), .tooDeep(limit: JSONValue.defaultMaxDepth), at: JSONValue.defaultMaxDepth)
        let objects = String(repeating: #"{"a":"#, count: 5) + "1" + String(repeating: "}", count: 5)
        XCTAssertNotNil(try JSONValue(parsing: objects, maxDepth: 5))
        fails(Array(objects.utf8), .tooDeep(limit: 4), at: 20, maxDepth: 4)
        fails(Array(("[" + objects + "]").utf8), .tooDeep(limit: 5), at: 21, maxDepth: 5)
        var deep: JSONValue = 1
        for _ in 0..<100 { deep = [deep] }
        XCTAssertEqual(try JSONValue(parsing: deep.text()), deep)
    }

    func testInputForms() throws {
        let text = #"{"k":[1,"é"]}"#
        let expected: JSONValue = ["k": [1, "é"]]
        XCTAssertEqual(try JSONValue(parsing: text), expected)
        XCTAssertEqual(try JSONValue(parsing: Array(text.utf8)), expected)
        XCTAssertEqual(try JSONValue(parsing: Array(("xx" + text).utf8)[2...]), expected)
        XCTAssertEqual(try JSONValue(parsing: Substring("[" + text + "]").dropFirst().dropLast().utf8), expected)
        XCTAssertEqual(try JSONValue(parsing: AnyCollection(Array(text.utf8))), expected, "non-contiguous input is copied")
    }
}
