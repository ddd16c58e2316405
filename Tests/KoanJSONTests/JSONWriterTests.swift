import KoanJSON
import XCTest

final class JSONWriterTests: XCTestCase {
    func testCompact() {
        let v: JSONValue = ["b": [1, 2.5, "x"], "a": ["nested": .null, "t": true, "f": false], "e": [], "o": .object([])]
        XCTAssertEqual(v.text(), #"{"b":[1,2.5,"x"],"a":{"nested":null,"t":true,"f":false},"e":[],"o":{}}"#)
        XCTAssertEqual(v.description, v.text())
        XCTAssertEqual(JSONWriter.bytes(v), Array(v.text().utf8))
        var out = Array("x=".utf8)
        JSONWriter.append([1, 2], to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "x=[1,2]")
    }

    /// The escapes of serde_json (and so of the safetensors reference writer) and of Python's
    /// `json.dumps(s, ensure_ascii=False)`: `json.dumps("\"\\/\b\f\n\r\t\x00\x1f\x7f é😀", ensure_ascii=False)`.
    func testStringEscapesMatchSerdeAndPython() {
        let s = "\"\\/\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{7F} é😀"
        XCTAssertEqual(JSONWriter.quoted(s), #""\"\\/\b\f\n\r\t\u0000\u001f"# + "\u{7F} é😀\"")
        XCTAssertEqual(JSONWriter.quoted("\u{1}\u{B}\u{1B}"), #""\u0001\u000b\u001b""#)
        XCTAssertEqual(JSONWriter.quoted("e\u{301}"), "\"e\u{301}\"", "no normalisation")
        var out: [UInt8] = []
        JSONWriter.appendString("\u{E9}", to: &out)
        XCTAssertEqual(out, [0x22, 0xC3, 0xA9, 0x22])
    }

    func testNumbers() {
        XCTAssertEqual(JSONValue(42).text(), "42")
        XCTAssertEqual(JSONValue.number(.int(.min)).text(), "-9223372036854775808")
        XCTAssertEqual(JSONValue.number(.int(9_007_199_254_740_993)).text(), "9007199254740993")
        XCTAssertEqual(JSONValue(3.0).text(), "3.0")
        XCTAssertEqual(JSONValue(0.1).text(), "0.1")
        XCTAssertEqual(JSONValue(-0.0).text(), "-0.0")
        XCTAssertEqual(JSONValue(1e-7).text(), "1e-07")
        XCTAssertEqual(JSONValue(1.5e300).text(), "1.5e+300")
        XCTAssertEqual(([.nan, .infinity, -.infinity] as [Double]).map { JSONValue($0).text() }, ["null", "null", "null"])
    }

    func testRoundTrips() throws {
        let samples: [JSONValue] = [
            .null, true, 0, -1, .number(.int(.max)), .number(.int(.min)), 0.5, -0.0, 1e300, 5e-324, 123.456, 1e21,
            "", "plain", "\u{0}\u{1F}\"\\/\n\t\u{7F}", "é中😀", "e\u{301}",
            [], .object([]), [1, [2, [3, ["deep"]]]],
            ["z": 1, "a": [true, .null], "z2": ["k": "v"], "": "empty key", "e\u{301}": 1, "\u{E9}": 2],
            .object([("dup", 1), ("dup", 2)]),
        ]
        for v in samples {
            XCTAssertEqual(try JSONValue(parsing: v.text()), v, v.text())
            XCTAssertEqual(try JSONValue(parsing: v.text(.pretty)), v, v.text(.pretty))
            XCTAssertEqual(try JSONValue(parsing: JSONWriter.bytes(v)).text(), v.text())
        }
        // Text in canonical compact form comes back byte for byte.
        let text = #"{"a":[1,-2,3.25,1e-07,"\u0001\n"],"b":{"c":null,"d":false},"é":"😀"}"#
        XCTAssertEqual(try JSONValue(parsing: text).text(), text)
    }

    func testPrettyLayout() {
        let v: JSONValue = ["version": "1.0", "scalars": [1, "a", .null], "empty": [], "none": .object([]),
                            "nested": [["x": 1], [2, 3]], "obj": ["k": ["v"]]]
        let expected = """
        {
          "version": "1.0",
          "scalars": [1, "a", null],
          "empty": [],
          "none": {},
          "nested": [
            {
              "x": 1
            },
            [2, 3]
          ],
          "obj": {
            "k": ["v"]
          }
        }
        """
        XCTAssertEqual(v.text(.pretty), expected)
        XCTAssertEqual(JSONValue.array([]).text(.pretty), "[]")
        XCTAssertEqual(JSONValue("s").text(.pretty), #""s""#)
    }

    func testAccessors() {
        let v: JSONValue = ["s": "x", "b": true, "n": 2, "d": 2.5, "a": [1, 2], "o": ["k": .null]]
        XCTAssertEqual(v["s"]?.string, "x")
        XCTAssertEqual(v["b"]?.bool, true)
        XCTAssertEqual(v["n"]?.int, 2)
        XCTAssertEqual(v["n"]?.number, .int(2))
        XCTAssertEqual(v["d"]?.double, 2.5)
        XCTAssertNil(v["d"]?.int)
        XCTAssertEqual(v["a"]?.array?.count, 2)
        XCTAssertEqual(v["a"]?[1], 2)
        XCTAssertNil(v["a"]?[2])
        XCTAssertNil(v["a"]?[-1])
        XCTAssertEqual(v["o"]?["k"]?.isNull, true)
        XCTAssertEqual(v["o"]?.object?.first?.0, "k")
        XCTAssertNil(v["s"]?.bool)
        XCTAssertNil(v["s"]?["k"])
        XCTAssertNil(v[0])
        XCTAssertEqual([JSONValue.null, true, 1, 1.5, "", [], .object([])].map(\.kind),
                       ["null", "a boolean", "an integer", "a number", "a string", "an array", "an object"])
        XCTAssertEqual(JSONNumber.double(1e2).int64Value, 100)
        XCTAssertNil(JSONNumber.double(1e19).int64Value)
        XCTAssertNotEqual(JSONValue(1), JSONValue(1.0))
    }
}
