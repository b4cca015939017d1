// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bp-pipeline",
    products: [
        .executable(name: "bp-pipeline", targets: ["bp-pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries, each through a system-library module wrapped by exactly one Swift file.
        .systemLibrary(name: "CYaml", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Open MPI, for data-parallel training under mpirun/srun (its handles through shim.h).
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // libpng reports errors by longjmp; this small C target owns the setjmp.
        .target(name: "CPNGShim", dependencies: ["CPNG"]),

        // Matrices, layers, activations, losses, optimizers, schedules, training: pure Swift + BLAS.
        // Release builds drop the run-time exclusivity checks of the training loop's class
        // properties (swift_beginAccess: about a third of the seed network's step); debug
        // builds, which the tests run, keep them.
        .target(name: "BackpropCore", dependencies: ["CBLAS"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // YAML -> nodes with file:line:column; the only importer of CYaml.
        .target(name: "PipelineSpec", dependencies: ["CYaml"]),
        // Drawing, charts and PNG encoding; the only importer of CCairo and CPNG.
        .target(name: "Render", dependencies: ["CCairo", "CPNG", "CPNGShim"]),
        // Stage protocols, the registry, the engine and the built-in stages.
        .target(name: "Pipeline", dependencies: ["BackpropCore", "PipelineSpec", "Render", "CZlib", "CMPI"]),
        // Argument parsing -> engine -> exit code.
        .executableTarget(name: "bp-pipeline", dependencies: [
            "Pipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Helpers shared by test targets (a correctly rounded JSON reader); not part of the product.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BackpropCoreTests", dependencies: ["BackpropCore"]),
        .testTarget(name: "PipelineSpecTests", dependencies: ["PipelineSpec"]),
        .testTarget(name: "RenderTests", dependencies: ["Render"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "PipelineSpec", "BackpropCore", "Render", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["bp-pipeline", "BackpropCore", "Render", "TestSupport"], exclude: ["Fixtures"]),
    ]
)
