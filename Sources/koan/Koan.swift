import ArgumentParser

/// `koan`: the Jupyter kernel and its other frontends over one engine.
@main
struct Koan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koan",
        abstract: "Koan: a Jupyter kernel and workspace for tensors and models, in Swift syntax.",
        version: KoanVersion.full,
        subcommands: [KernelCommand.self, InstallCommand.self, RunCommand.self, ReplCommand.self]
    )

    static func main() {
        main(RunCommand.splitParameters(Array(CommandLine.arguments.dropFirst())))
    }
}

enum KoanVersion {
    static let string = "0.1.0"
    /// The build configuration: users run a release kernel (`make run`); tests may use debug.
    #if DEBUG
    static let build = "debug"
    #else
    static let build = "release"
    #endif
    /// `0.1.0 (release build)`: what `koan --version` and the kernel banner say.
    static let full = "\(string) (\(build) build)"
}
