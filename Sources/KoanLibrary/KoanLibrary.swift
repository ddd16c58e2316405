import KoanLang
import KoanTensor

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
    }
}
