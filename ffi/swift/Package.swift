// swift-tools-version:5.7
// The Swift binding of the oauthkit C ABI. Build the library first
// (scripts/install-local.sh) and point pkg-config at it:
//   PKG_CONFIG_PATH=<prefix>/lib/pkgconfig swift test
import PackageDescription

let package = Package(
    name: "OAuthKit",
    products: [.library(name: "OAuthKit", targets: ["OAuthKit"])],
    targets: [
        .systemLibrary(name: "COAuthKit", path: "Sources/COAuthKit", pkgConfig: "oauthkit"),
        .target(name: "OAuthKit", dependencies: ["COAuthKit"]),
        .testTarget(name: "OAuthKitTests", dependencies: ["OAuthKit"]),
    ]
)
