import ArgumentParser
import Foundation

/// `koan install`: writes the kernelspec (kernel.json + logos) where Jupyter looks.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Install the Koan kernelspec for Jupyter.")

    @Flag(help: "Install for the current user (the default).") var user = false
    @Flag(help: "Install into the Python environment's prefix (sys.prefix).") var sysPrefix = false
    @Option(help: "Install into PREFIX/share/jupyter/kernels.") var prefix: String?
    @Option(help: "The kernel name (directory name).") var name = "koan"
    @Option(help: "The kernelspec template folder (default: kernelspec/ of the source tree).") var from: String?

    func validate() throws {
        if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --user, --sys-prefix and --prefix")
        }
        guard !name.isEmpty, !name.contains("/") else { throw ValidationError("--name must be a plain folder name") }
    }

    func run() throws {
        let fm = FileManager.default
        let executable = Self.executablePath()
        guard let source = from ?? Self.findKernelspec(near: executable) else {
            throw ValidationError("cannot find the kernelspec/ folder near \(executable); pass --from DIR")
        }
        let template = try Data(contentsOf: URL(fileURLWithPath: source + "/kernel.json"))
        guard var spec = try JSONSerialization.jsonObject(with: template) as? [String: Any],
              var argv = spec["argv"] as? [String], !argv.isEmpty else {
            throw ValidationError("\(source)/kernel.json has no argv")
        }
        argv[0] = executable
        spec["argv"] = argv
        if name != "koan" { spec["display_name"] = "Koan (\(name))" }

        let dest = try Self.kernelsDirectory(user: user, sysPrefix: sysPrefix, prefix: prefix) + "/" + name
        try fm.createDirectory(atPath: dest, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try json.write(to: URL(fileURLWithPath: dest + "/kernel.json"))
        for logo in ["logo-32x32.png", "logo-64x64.png"] {
            let target = dest + "/" + logo
            if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
            try fm.copyItem(atPath: source + "/" + logo, toPath: target)
        }
        print("Installed kernelspec \(name) in \(dest)")
    }

    static func executablePath() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    /// Walks up from the binary (e.g. `.build/debug/koan`) to the source tree's kernelspec/.
    static func findKernelspec(near executable: String) -> String? {
        var dir = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("kernelspec")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("kernel.json").path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func kernelsDirectory(user: Bool, sysPrefix: Bool, prefix: String?) throws -> String {
        if let prefix { return prefix + "/share/jupyter/kernels" }
        if sysPrefix {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", "import sys; print(sys.prefix)"]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            p.waitUntilExit()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard p.terminationStatus == 0, !out.isEmpty else { throw ValidationError("python3 could not tell sys.prefix") }
            return out + "/share/jupyter/kernels"
        }
        let env = ProcessInfo.processInfo.environment
        if let d = env["JUPYTER_DATA_DIR"], !d.isEmpty { return d + "/kernels" }
        if let x = env["XDG_DATA_HOME"], !x.isEmpty { return x + "/jupyter/kernels" }
        return NSHomeDirectory() + "/.local/share/jupyter/kernels"
    }
}
