// OAuthKit: Swift classes over the oauthkit C ABI. Handles free themselves
// in deinit; failures throw OAuthKitError with the status and message.
import COAuthKit

/// A failed oauthkit call.
public struct OAuthKitError: Error, CustomStringConvertible {
    /// The status code (OAK_ERR_*).
    public let status: Int32
    /// The library's message.
    public let message: String

    public var statusName: String { String(cString: oak_status_name(status)) }
    public var description: String { "\(message) (\(statusName))" }
}

/// Runs a C call and throws on failure, reading the message on this thread.
@discardableResult
func check(_ status: OakStatus) throws -> OakStatus {
    let code = Int32(status)
    if code != 0 {
        throw OAuthKitError(status: code, message: String(cString: oak_last_error_message()))
    }
    return status
}

/// Copies and frees (zeroing) a string the library returned.
func take(_ raw: UnsafeMutablePointer<CChar>?) -> String? {
    guard let raw = raw else { return nil }
    defer { oak_string_free(raw) }
    return String(cString: raw)
}

/// Swift strings may hold NUL, which C would cut short: refuse them.
func cArg<R>(_ s: String, _ name: String, _ body: (UnsafePointer<CChar>) throws -> R) throws -> R {
    if s.utf8.contains(0) {
        throw OAuthKitError(status: 8, message: "invalid argument: \(name) contains a NUL byte")
    }
    return try s.withCString(body)
}

public enum OAuthKit {
    public static var version: String { String(cString: oak_version()) }
    public static var abiVersion: UInt32 { oak_abi_version() }
}

/// Tokens and what came with them.
public final class TokenSet {
    let raw: OpaquePointer

    init(adopting raw: OpaquePointer) { self.raw = raw }

    public convenience init(accessToken: String) throws {
        var out: OpaquePointer?
        try cArg(accessToken, "access_token") { try check(oak_token_set_new($0, &out)) }
        self.init(adopting: out!)
    }

    public static func fromJSON(_ json: String) throws -> TokenSet {
        var out: OpaquePointer?
        try cArg(json, "json") { try check(oak_token_set_from_json($0, &out)) }
        return TokenSet(adopting: out!)
    }

    deinit { oak_token_set_free(raw) }

    private func text(_ get: (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> OakStatus) throws -> String? {
        var out: UnsafeMutablePointer<CChar>?
        try check(get(raw, &out))
        return take(out)
    }

    public func accessToken() throws -> String { try text(oak_token_set_access_token) ?? "" }
    public func refreshToken() throws -> String? { try text(oak_token_set_refresh_token) }
    public func idToken() throws -> String? { try text(oak_token_set_id_token) }
    public func scope() throws -> String { try text(oak_token_set_scope) ?? "" }
    public func identityID() throws -> String? { try text(oak_token_set_identity_id) }
    public func json() throws -> String { try text(oak_token_set_to_json) ?? "" }

    public func expiresAt() throws -> Int64? {
        var at: Int64 = 0
        var known = false
        try check(oak_token_set_expires_at(raw, &at, &known))
        return known ? at : nil
    }

    public func isExpired(leewaySeconds: Int64 = 0) throws -> Bool {
        var expired = false
        try check(oak_token_set_is_expired(raw, leewaySeconds, &expired))
        return expired
    }

    public func setRefreshToken(_ token: String?) throws {
        if let token = token {
            try cArg(token, "refresh_token") { try check(oak_token_set_set_refresh_token(raw, $0)) }
        } else {
            try check(oak_token_set_set_refresh_token(raw, nil))
        }
    }

    public func setScope(_ scope: String) throws {
        try cArg(scope, "scope") { try check(oak_token_set_set_scope(raw, $0)) }
    }

    public func setExpiresIn(_ seconds: Int64) throws {
        try check(oak_token_set_set_expires_in(raw, seconds))
    }
}

/// A token store opened from a spec ("memory:", "file:/path/tokens.json", ...).
public final class Store {
    let raw: OpaquePointer

    public init(spec: String) throws {
        var out: OpaquePointer?
        try cArg(spec, "spec") { try check(oak_store_open($0, &out)) }
        raw = out!
    }

    deinit { oak_store_free(raw) }

    public func save(_ key: String, _ tokens: TokenSet) throws {
        try cArg(key, "key") { try check(oak_store_save(raw, $0, tokens.raw)) }
    }

    /// The token set under key, or nil when there is none.
    public func load(_ key: String) throws -> TokenSet? {
        var out: OpaquePointer?
        try cArg(key, "key") { try check(oak_store_load(raw, $0, &out)) }
        return out.map { TokenSet(adopting: $0) }
    }

    @discardableResult
    public func delete(_ key: String) throws -> Bool {
        var deleted = false
        try cArg(key, "key") { try check(oak_store_delete(raw, $0, &deleted)) }
        return deleted
    }

    public func exists(_ key: String) throws -> Bool {
        var exists = false
        try cArg(key, "key") { try check(oak_store_exists(raw, $0, &exists)) }
        return exists
    }

    public func keys() throws -> [String] {
        var items: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var count = 0
        try check(oak_store_list(raw, &items, &count))
        defer { oak_string_array_free(items, count) }
        return (0..<count).map { String(cString: items![$0]!) }
    }
}
