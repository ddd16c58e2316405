// swift-tools-version: 6.0
import PackageDescription

let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Koan",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "koan", targets: ["koan"]),
        .executable(name: "koan-bench", targets: ["koan-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The system SQLite: a search study's storage, in Optuna's RDB schema (KoanSearch).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Koan's integer kernels (int8/int4 products), one function per instruction set chosen at
        // run time (Sources/CQuantKernels/include/koan_quant.h). Optimised in debug builds too.
        .target(name: "CQuantKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        // The numeric kernels are compiled with optimisation in debug builds too: at -Onone
        // the vector math runs ~100× slower, which made debug tests and notebooks crawl.
        .target(name: "KoanJSON", swiftSettings: optimizedInDebug),
        .target(name: "KoanTensor", dependencies: ["CBLAS", "CZlib", "KoanJSON", "CQuantKernels"], swiftSettings: optimizedInDebug),
        .target(name: "KoanAutograd", dependencies: ["KoanTensor"], swiftSettings: optimizedInDebug),
        .target(name: "KoanMarkup"),
        .target(name: "KoanNN", dependencies: ["KoanAutograd", "KoanTensor", "KoanMarkup", "KoanTokenizers"], swiftSettings: optimizedInDebug),
        .target(name: "KoanData", dependencies: ["KoanTensor", "KoanJSON"], resources: [.copy("Resources")]),
        .target(name: "KoanTokenizers", dependencies: ["KoanTensor", "KoanJSON"], swiftSettings: optimizedInDebug),
        .target(name: "KoanTrain", dependencies: ["KoanAutograd", "KoanTensor", "KoanNN", "KoanData"], swiftSettings: optimizedInDebug),
        .target(name: "KoanMetrics", dependencies: ["KoanMarkup"]),
        // Hyperparameter search: spaces, samplers (TPE as Optuna's), pruners, studies in SQLite.
        .target(name: "KoanSearch", dependencies: ["KoanJSON", "CSQLite"]),
        .target(name: "KoanFineTune", dependencies: ["KoanNN", "KoanData", "KoanTrain", "KoanTokenizers", "KoanTensor", "KoanJSON", "KoanAutograd"],
                swiftSettings: optimizedInDebug),
        // librsvg and cairo are opened on the first PNG (RenderLibrary.swift), not linked:
        // their ~45 shared objects would otherwise load before `main` and delay the kernel's
        // bind. Running needs apt's librsvg2-2; building needs no headers of theirs.
        .target(name: "KoanPlot", dependencies: ["KoanJSON"]),
        .target(
            name: "JupyterKernel",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "ZMQTransport",
            dependencies: ["CZeroMQ", "JupyterKernel"]
        ),
        .target(
            name: "KoanLang",
            dependencies: [
                "KoanMarkup",
                .product(name: "SwiftParser", package: "swift-syntax"),
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftOperators", package: "swift-syntax"),
                .product(name: "SwiftParserDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
            ]
        ),
        // The library's bindings for the language, one folder per domain; the language
        // target above knows none of them.
        .target(
            name: "KoanLibrary",
            dependencies: ["KoanLang", "KoanTensor", "KoanAutograd", "KoanMetrics", "KoanPlot", "KoanNN", "KoanData",
                           "KoanTrain", "KoanMarkup", "KoanTokenizers", "KoanFineTune", "KoanJSON", "KoanSearch"]
        ),
        .executableTarget(
            name: "koan",
            dependencies: [
                "JupyterKernel", "ZMQTransport", "KoanLang", "KoanLibrary",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "koan-bench", dependencies: ["KoanLang", "KoanLibrary", "KoanTensor", "KoanAutograd", "KoanNN", "KoanData", "KoanTrain", "KoanTokenizers", "CBLAS"]),
        // What several test targets share: the Python oracles (KOAN_PYTHON, skip or fail).
        .target(name: "KoanTestSupport", path: "Tests/KoanTestSupport"),
        .testTarget(name: "JupyterKernelTests", dependencies: ["JupyterKernel"]),
        .testTarget(name: "KoanLangTests", dependencies: ["KoanLang", "KoanLibrary"]),
        .testTarget(name: "KoanJSONTests", dependencies: ["KoanJSON"]),
        .testTarget(name: "KoanTensorTests", dependencies: ["KoanTensor", "KoanTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KoanAutogradTests", dependencies: ["KoanAutograd"]),
        .testTarget(name: "KoanMetricsTests", dependencies: ["KoanMetrics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KoanPlotTests", dependencies: ["KoanPlot", "KoanTestSupport"]),
        .testTarget(name: "KoanNNTests", dependencies: ["KoanNN", "KoanTrain", "KoanTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KoanDataTests", dependencies: ["KoanData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KoanTokenizersTests", dependencies: ["KoanTokenizers", "KoanTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KoanFineTuneTests", dependencies: ["KoanFineTune", "KoanNN", "KoanTrain", "KoanData", "KoanTokenizers", "KoanTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "KoanCompressTests", dependencies: ["KoanNN", "KoanTrain", "KoanData", "KoanTensor", "KoanAutograd", "KoanTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "KoanSearchTests", dependencies: ["KoanSearch", "KoanJSON", "KoanTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KoanTrainTests", dependencies: ["KoanTrain"], resources: [.copy("Fixtures")]),
    ]
)
