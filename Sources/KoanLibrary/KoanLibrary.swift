import KoanLang
import KoanTensor
import KoanTrain

/// The library's bindings for the language: tensors, models, training, reports, plots,
/// tokenizers and language models, each domain registered from its own folder. The
/// executables give it to every interpreter they make:
///
///     let interpreter = Interpreter(extensions: [KoanLibrary()])
public struct KoanLibrary: LanguageExtension {
    public init() {}

    public func register(_ r: Registry) {
        registerTensorFunctions(r)
        registerTensorMembers(r)
        registerTensorMagics(r)
        registerReportFunctions(r)
        registerPlotFunctions(r)
        registerModelFunctions(r)
        registerTrainingFunctions(r)
        registerModelReportFunctions(r)
        registerCheckpointFunctions(r)
        registerTextFunctions(r)
        registerLanguageModelFunctions(r)
        registerFineTuningFunctions(r)
        registerCompressionFunctions(r)
        registerCompareFunctions(r)
        registerSearchFunctions(r)
        registerOptionCompletions(r)
    }
}

/// The option cases each labelled argument takes, for completion (`optimizer: .ad` →
/// `adamW(`): the same lists the bindings match against.
func registerOptionCompletions(_ r: Registry) {
    r.optionCases(["quantization", "scheme"], quantizationOptions)
    r.optionCases(["pruning", "method"], pruningOptions)
    r.optionCases(["strategy"], strategyOptions)
    r.optionCases(["pruner"], prunerOptions)
    r.optionCases(["direction"], directionOptions)
    r.optionCases(["optimizer"], optimizerOptions)
    r.optionCases(["schedule"], scheduleOptions)
    r.optionCases(["earlyStopping"], earlyStoppingOptions)
    r.optionCases(["loss"], lossOptions)
    r.optionCases(["checkpoint"], checkpointOptions)
    r.optionCases(["unfreeze"], unfreezeOptions)
    r.optionCases(["attention", "kernel"], attentionOptions)
    r.optionCases(["position"], positionOptions)
    r.optionCases(["precision"], Precision.allCases.map(\.rawValue))
    r.optionCases(["dtype"], DType.allCases.map(\.rawValue))
}
