import Foundation
import KoanNN
import KoanTrain

// The parameter groups of the freezing strategies for BERT models: layer-wise
// learning-rate decay (ELECTRA, BEiT) and gradual unfreezing (ULMFiT), top to bottom.
//
//     let groups = try layerDecayGroups(clf, decay: 0.9)    // AdamW(lr:, groups: groups)
//     let order = try unfreezingGroups(clf)                 // [["classifier", "bert.pooler"], ["bert.encoder.layer.5"], …]

/// Layer-wise learning-rate decay groups for a BERT model: layer i of L gets
/// decay^(L − i), the embeddings (and virtual tokens) decay^(L + 1), the head 1.
public func layerDecayGroups(_ model: Module, decay: Double) throws -> [ParameterGroup] {
    guard decay > 0, decay <= 1 else { throw NNError.invalidArgument(layer: "layerDecay", message: "layerDecay must be in (0, 1], got \(decay)") }
    let bert = try bertEncoder(of: model)
    let p = encoderPrefix(model)
    let l = bert.layers
    var groups = (0..<l).map { i in ParameterGroup([p + "encoder.layer.\(i)"], lrScale: pow(decay, Double(l - i)), isRequired: false) }
    groups.append(ParameterGroup([p + "embeddings", p + "prompt_encoder", p + "prefix_encoder"], lrScale: pow(decay, Double(l + 1)), isRequired: false))
    return groups
}

/// The gradual-unfreezing groups of a model, top first: the head (and pooler), then each
/// encoder layer from the last, then the embeddings.
public func unfreezingGroups(_ model: Module) throws -> [[String]] {
    let bert = try bertEncoder(of: model)
    let p = encoderPrefix(model)
    var groups: [[String]] = [model is BERTHead ? ["classifier", p + "pooler"] : [p + "pooler"]]
    for i in (0..<bert.layers).reversed() { groups.append([p + "encoder.layer.\(i)"]) }
    groups.append([p + "embeddings"])
    return groups
}

