#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation
import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// What an SVG contains, read back with `XMLParser` (which also checks well-formedness).
final class ParsedSVG: NSObject, XMLParserDelegate {
    private(set) var elements: [(name: String, attributes: [String: String])] = []
    /// The text content of each `<text>` element in document order (tspans included).
    private(set) var texts: [(text: String, cssClass: String?)] = []
    private var open: [(text: String, cssClass: String?)] = []

    static func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> ParsedSVG {
        let result = ParsedSVG()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = result
        XCTAssertTrue(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        return result
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                attributes attributeDict: [String: String] = [:]) {
        elements.append((elementName, attributeDict))
        if elementName == "text" { open.append(("", attributeDict["class"])) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !open.isEmpty { open[open.count - 1].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        if elementName == "text", let t = open.popLast() { texts.append(t) }
    }

    /// Elements whose class list contains `cssClass`.
    func count(_ cssClass: String) -> Int {
        elements.filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cssClass)) }.count
    }

    /// Box labels (the texts that are not shape, title or input/output labels), in order.
    var labels: [String] { texts.filter { $0.cssClass == nil }.map(\.text) }
    /// Shape labels on arrows, in order.
    var shapes: [String] { texts.filter { $0.cssClass == "koan-shape" }.map(\.text) }
}

final class ModelDiagramTests: XCTestCase {
    func testMLPIsAChainWithShapes() throws {
        let svg = modelDiagram(try MLP(input: 64, hidden: [128], output: 10))
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        let d = ParsedSVG.parse(svg)
        XCTAssertEqual(d.count("koan-layer"), 3)
        XCTAssertEqual(d.labels, ["input", "Linear 64→128", "ReLU", "Linear 128→10", "output"])
        XCTAssertEqual(d.shapes, ["[N, 64]", "[N, 128]", "[N, 128]", "[N, 10]"])
        XCTAssertEqual(d.count("koan-add"), 0)
        let root = try XCTUnwrap(d.elements.first)
        let width = try XCTUnwrap(Double(root.attributes["width"] ?? ""))
        XCTAssertTrue((360...480).contains(width), "width \(width)")
    }

    func testGivenInputShapeKeepsSymbolicBatch() throws {
        let d = ParsedSVG.parse(modelDiagram(try MLP(input: 4, hidden: [8], output: 2), input: [32, 4]))
        XCTAssertEqual(d.shapes.first, "[N, 4]")
        // An input that does not fit the first layer: no shapes after it rather than wrong ones.
        let wrong = ParsedSVG.parse(modelDiagram(try MLP(input: 4, hidden: [8], output: 2), input: [32, 5]))
        XCTAssertEqual(wrong.shapes, ["[N, 5]"])
    }

    func testCNNPropagatesImageSizes() throws {
        let d = ParsedSVG.parse(modelDiagram(try CNN(inputChannels: 1, imageSize: 8, classes: 10)))
        XCTAssertEqual(d.count("koan-layer"), 14)
        XCTAssertEqual(Array(d.labels.dropFirst().dropLast()), [
            "Conv2d 1→16 3×3, pad 1", "ReLU", "Conv2d 16→16 3×3, pad 1", "ReLU", "MaxPool2d 2×2",
            "Conv2d 16→32 3×3, pad 1", "ReLU", "Conv2d 32→32 3×3, pad 1", "ReLU", "MaxPool2d 2×2",
            "Flatten", "Linear 128→64", "ReLU", "Linear 64→10"])
        XCTAssertEqual(d.shapes.first, "[N, 1, 8, 8]")
        for shape in ["[N, 16, 8, 8]", "[N, 16, 4, 4]", "[N, 32, 2, 2]", "[N, 128]", "[N, 64]"] {
            XCTAssertTrue(d.shapes.contains(shape), shape)
        }
        XCTAssertEqual(d.shapes.last, "[N, 10]")
    }

    func testSymbolicImageSidesAndOmittedLabels() throws {
        let net = try Sequential { try Conv2d(3, 8, kernel: 3); ReLU(); try MaxPool2d(2); Flatten(); try Linear(200, 10) }
        let d = ParsedSVG.parse(modelDiagram(net))
        XCTAssertEqual(d.shapes, ["[N, 3, H, W]", "[N, 8, H-2, W-2]", "[N, 8, H-2, W-2]", "[N, 8, H/2-1, W/2-1]", "[N, 10]"],
                       "the flattened size depends on H and W, so its arrow has no label")
        // With a concrete input the same chain has every shape.
        let c = ParsedSVG.parse(modelDiagram(net, input: [1, 3, 12, 12]))
        XCTAssertEqual(c.shapes, ["[N, 3, 12, 12]", "[N, 8, 10, 10]", "[N, 8, 10, 10]", "[N, 8, 5, 5]", "[N, 200]", "[N, 10]"])
    }

    func testLSTMClassifier() throws {
        let d = ParsedSVG.parse(modelDiagram(try LSTMClassifier(input: 1, hidden: 16, classes: 2)))
        XCTAssertEqual(d.labels, ["input", "LSTM 1→16", "LastStep", "Linear 16→2", "output"])
        XCTAssertEqual(d.shapes, ["[N, T, 1]", "[N, T, 16]", "[N, 16]", "[N, 2]"])
        let text = ParsedSVG.parse(modelDiagram(try LSTMClassifier(vocab: 100, embedding: 8, hidden: 16, layers: 2, classes: 4)))
        XCTAssertEqual(text.labels, ["input", "Embedding 100→8", "LSTM 8→16, 2 layers", "LastStep", "Linear 16→4", "output"])
        XCTAssertEqual(text.shapes, ["[N, T]", "[N, T, 8]", "[N, T, 16]", "[N, 16]", "[N, 4]"])
    }

    func testGPTDrawsOneBlockWithResiduals() throws {
        let svg = modelDiagram(try GPT(vocab: 50, context: 16, dim: 32, heads: 4, layers: 2))
        let d = ParsedSVG.parse(svg)
        XCTAssertEqual(d.labels, ["input", "Embedding 50→32 (tokens)", "Embedding 16→32 (positions)",
                                  "LayerNorm 32", "MultiHeadAttention 4 heads, causal", "LayerNorm 32", "MLP 32→128→32, GELU",
                                  "LayerNorm 32", "LM head 32→50 (tied to tokens)", "output"])
        XCTAssertEqual(d.count("koan-layer"), 8)
        XCTAssertEqual(d.count("koan-add"), 3, "position sum and two residual ⊕ nodes")
        XCTAssertEqual(d.count("koan-skip"), 2)
        XCTAssertEqual(d.count("koan-group"), 1)
        XCTAssertEqual(d.texts.filter { $0.cssClass == "koan-group-title" }.map(\.text), ["Transformer block"])
        XCTAssertEqual(d.texts.filter { $0.cssClass == "koan-repeat" }.map(\.text), ["× 2"])
        XCTAssertEqual(d.shapes.first, "[N, T]")
        XCTAssertTrue(d.shapes.contains("[N, T, 32]"))
        XCTAssertEqual(d.shapes.last, "[N, T, 50]")

        let rope = ParsedSVG.parse(modelDiagram(try GPT(vocab: 50, context: 16, dim: 32, heads: 4, layers: 6, position: .rope)))
        XCTAssertEqual(rope.count("koan-add"), 2, "RoPE adds nothing to the embeddings")
        XCTAssertTrue(rope.labels.contains("MultiHeadAttention 4 heads, causal, RoPE"))
        XCTAssertEqual(rope.texts.filter { $0.cssClass == "koan-repeat" }.map(\.text), ["× 6"])
    }

    func testBERTAndItsHeads() throws {
        let bert = try BERT(vocab: 100, dim: 32, heads: 4, layers: 2, intermediate: 64, maxPositions: 40)
        let d = ParsedSVG.parse(modelDiagram(bert))
        XCTAssertEqual(d.labels, ["input", "Embedding 100→32 (words)", "Embedding 40→32 (positions)",
                                  "Embedding 2→32 (token types)", "LayerNorm 32", "MultiHeadAttention 4 heads", "LayerNorm 32",
                                  "MLP 32→64→32, GELU", "LayerNorm 32", "output"])
        XCTAssertEqual(d.count("koan-add"), 4, "two embedding sums and two residual ⊕ nodes")
        XCTAssertEqual(d.count("koan-skip"), 2)
        XCTAssertEqual(d.texts.filter { $0.cssClass == "koan-group-title" }.map(\.text), ["Encoder layer"])
        XCTAssertEqual(d.texts.filter { $0.cssClass == "koan-repeat" }.map(\.text), ["× 2"])
        XCTAssertEqual(d.shapes.last, "[N, T, 32]")

        let clf = ParsedSVG.parse(modelDiagram(try bert.sequenceClassifier(classes: 3)))
        XCTAssertEqual(Array(clf.labels.suffix(4)), ["Pooler: first token, Linear 32→32, Tanh", "Dropout 0.1", "Linear 32→3", "output"])
        XCTAssertEqual(Array(clf.shapes.suffix(3)), ["[N, 32]", "[N, 32]", "[N, 3]"])
        let tagger = ParsedSVG.parse(modelDiagram(try bert.tokenClassifier(labels: 5)))
        XCTAssertEqual(tagger.shapes.last, "[N, T, 5]")
    }

    func testLongChainsFoldRepeatedRuns() throws {
        let mlp = try MLP(input: 64, hidden: Array(repeating: 128, count: 20), output: 10)
        let d = ParsedSVG.parse(modelDiagram(mlp))
        XCTAssertEqual(d.count("koan-layer"), 4)
        XCTAssertEqual(d.labels, ["input", "Linear 64→128", "ReLU", "Linear 128→128, ReLU × 19", "Linear 128→10", "output"])
        XCTAssertEqual(d.shapes, ["[N, 64]", "[N, 128]", "[N, 128]", "[N, 128]", "[N, 10]"])
        // Short chains are drawn in full.
        let short = ParsedSVG.parse(modelDiagram(try MLP(input: 64, hidden: [128, 128, 128], output: 10)))
        XCTAssertEqual(short.count("koan-layer"), 7)
    }

    func testTextIsEscaped() throws {
        let svg = modelDiagram(Sequential([try Linear(3, 4), Oddly()]))
        let d = ParsedSVG.parse(svg)
        XCTAssertTrue(d.labels.contains("<Odd & \"quoted\" 'layer'>"))
        XCTAssertTrue(svg.contains("&lt;Odd &amp; &quot;quoted&quot; &#39;layer&#39;&gt;"))
        XCTAssertEqual(d.shapes, ["[N, 3]", "[N, 4]"], "no shape after a layer the diagram does not know")
        XCTAssertFalse(svg.contains("<Odd"))
    }
}

/// A custom layer whose name needs escaping.
private final class Oddly: Module {
    override var layerName: String { "<Odd & \"quoted\" 'layer'>" }
    override func forward(_ x: Tensor) throws -> Tensor { x }
}
