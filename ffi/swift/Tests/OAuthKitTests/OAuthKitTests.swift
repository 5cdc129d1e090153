import Foundation
import XCTest

@testable import OAuthKit

final class OAuthKitTests: XCTestCase {
    func testFileStoreRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = "file:\(dir.appendingPathComponent("tokens.json").path)?namespace=swift-app"
        let store = try Store(spec: spec)
        let tokens = try TokenSet(accessToken: "at-1")
        try tokens.setRefreshToken("rt-1")
        try tokens.setScope("openid email")
        try tokens.setExpiresIn(3600)
        try store.save("alice", tokens)

        let loaded = try XCTUnwrap(try Store(spec: spec).load("alice"))
        XCTAssertEqual(try loaded.accessToken(), "at-1")
        XCTAssertEqual(try loaded.refreshToken(), "rt-1")
        XCTAssertNil(try loaded.idToken())
        XCTAssertEqual(try loaded.scope(), "openid email")
        XCTAssertFalse(try loaded.isExpired(leewaySeconds: 60))
        XCTAssertEqual(try store.keys(), ["alice"])
        XCTAssertTrue(try store.delete("alice"))
        XCTAssertFalse(try store.exists("alice"))
    }

    func testErrorsCarryStatusAndMessage() {
        XCTAssertThrowsError(try Store(spec: "floppy:/a")) { error in
            let e = error as! OAuthKitError
            XCTAssertEqual(e.statusName, "OAK_ERR_INVALID_ARGUMENT")
            XCTAssertTrue(e.message.contains("unknown store scheme"))
        }
        XCTAssertThrowsError(try Store(spec: "memory:").save("a\u{0}b", TokenSet(accessToken: "at"))) { error in
            XCTAssertEqual((error as! OAuthKitError).status, 8)
        }
    }

    func testMissingKeyIsNil() throws {
        XCTAssertNil(try Store(spec: "memory:").load("nobody"))
    }
}
