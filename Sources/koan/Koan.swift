import ArgumentParser

/// `koan`: the Jupyter kernel and its other frontends over one engine.
@main
struct Koan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koan",
        abstract: "Koan: a Jupyter kernel and workspace for tensors and models, in Swift syntax.",
        version: KoanVersion.string,
        subcommands: [KernelCommand.self, InstallCommand.self, RunCommand.self, ReplCommand.self]
    )
}

enum KoanVersion {
    static let string = "0.1.0"
}
