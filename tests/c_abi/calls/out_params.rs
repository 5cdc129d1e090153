//! Every out-parameter of every `oak_` function is reset (NULL / 0 / false)
//! before any argument is checked, so a call that fails never leaves a
//! stale value in a later out-parameter (docs/capi.md, "Ownership").
//!
//! The functions are enumerated from the committed header
//! `include/oauthkit.h`: a function with an out-parameter that has no entry
//! in [`table`] (or in the C test's `OUT_CASE` table, ffi/c/test_capi.c)
//! fails the test, so a new function cannot be forgotten.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::ptr;

use oauthkit::capi::background::*;
use oauthkit::capi::callback_store::*;
use oauthkit::capi::claims::*;
use oauthkit::capi::client_credentials::*;
use oauthkit::capi::deploy::*;
use oauthkit::capi::dev_provider::*;
use oauthkit::capi::device::*;
use oauthkit::capi::dpop::*;
use oauthkit::capi::flow::*;
use oauthkit::capi::jwt_bearer::*;
use oauthkit::capi::logout::*;
use oauthkit::capi::provider::*;
use oauthkit::capi::provider_oauth2::*;
use oauthkit::capi::provider_settings::*;
use oauthkit::capi::server_store::*;
use oauthkit::capi::session::*;
use oauthkit::capi::store::*;
use oauthkit::capi::strings::*;
use oauthkit::capi::token_exchange::*;
use oauthkit::capi::token_set::*;
use oauthkit::capi::validating_store::*;
use oauthkit::capi::OakStatus::{self, *};

/// One parameter of a header declaration.
#[derive(Debug, Clone)]
pub struct Param {
    pub ty: String,
    pub name: String,
}

/// `oak_` function name -> parameters, parsed from the header text.
pub fn header_functions(header: &str) -> BTreeMap<String, Vec<Param>> {
    // Drop comments and preprocessor lines; declarations end with ';'.
    let mut text = String::new();
    let mut rest = header;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    text.push_str(rest);
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = BTreeMap::new();
    for decl in text.split(';') {
        let decl = decl.split_whitespace().collect::<Vec<_>>().join(" ");
        if decl.contains("typedef") {
            continue;
        }
        let Some(open) = decl.find("oak_") else {
            continue;
        };
        let Some(paren) = decl[open..].find('(').map(|p| p + open) else {
            continue;
        };
        let name = decl[open..paren].trim().to_owned();
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let close = decl.rfind(')').expect("declaration without ')'");
        let params = decl[paren + 1..close].trim();
        let params = if params == "void" || params.is_empty() {
            Vec::new()
        } else {
            params
                .split(',')
                .map(|p| {
                    let p = p.trim();
                    let split = p
                        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .expect("parameter without a name");
                    Param {
                        ty: p[..=split].replace(' ', ""),
                        name: p[split + 1..].to_owned(),
                    }
                })
                .collect()
        };
        out.insert(name, params);
    }
    out
}

/// Structs and enums the library writes through an out-parameter.
const OUT_STRUCTS: [&str; 2] = ["OakLogoutResult", "OakFlowState"];

const SCALARS: [&str; 6] = [
    "bool", "int32_t", "int64_t", "uint32_t", "uint64_t", "size_t",
];

/// Whether a parameter type is written through: a non-const pointer to a
/// pointer or to a scalar.
fn writable_pointer(ty: &str) -> bool {
    let Some(pointee) = ty.strip_suffix('*') else {
        return false;
    };
    !ty.starts_with("const")
        && (pointee.ends_with('*') || SCALARS.contains(&pointee) || OUT_STRUCTS.contains(&pointee))
}

/// The size in bytes of what an out-parameter of type `ty` points to.
fn pointee_size(ty: &str) -> usize {
    match ty.strip_suffix('*').unwrap() {
        p if p.ends_with('*') => size_of::<*mut u8>(),
        "bool" => 1,
        "int32_t" | "uint32_t" | "OakFlowState" => 4,
        "int64_t" | "uint64_t" | "size_t" => 8,
        "OakLogoutResult" => size_of::<oauthkit::capi::logout::OakLogoutResult>(),
        other => panic!("no size known for out-parameter type {other}"),
    }
}

/// The out-parameters (type, name) of every function that has any.
pub fn functions_with_out_params() -> BTreeMap<String, Vec<Param>> {
    let header =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/oauthkit.h"))
            .expect("read include/oauthkit.h");
    let all = header_functions(&header);
    assert!(
        all.len() > 40,
        "the header parser found only {} functions",
        all.len()
    );
    let mut out = BTreeMap::new();
    for (name, params) in all {
        for p in &params {
            // Every pointer the library writes through is named out*; the
            // one exception is the array handed back to oak_string_array_free.
            assert!(
                p.name.starts_with("out") == writable_pointer(&p.ty) || name.ends_with("_free"),
                "{name}: parameter `{} {}` breaks the naming rule (out-parameters are \
                 non-const pointers named out*)",
                p.ty,
                p.name
            );
        }
        let outs: Vec<Param> = params
            .into_iter()
            .filter(|p| p.name.starts_with("out"))
            .collect();
        if !outs.is_empty() {
            out.insert(name, outs);
        }
    }
    out
}

const POISON: u64 = 0xA5A5_A5A5_A5A5_A5A5;

/// Out-parameter storage, pre-poisoned; `null` makes one of them NULL.
pub struct Slots {
    bufs: [u64; 4],
    null: Option<usize>,
}

impl Slots {
    fn p<T>(&mut self, i: usize) -> *mut T {
        if self.null == Some(i) {
            ptr::null_mut()
        } else {
            (&mut self.bufs[i] as *mut u64).cast()
        }
    }
}

/// How a table entry calls its function.
pub struct Case {
    /// Calls the function with its first (input) argument NULL, or, when it
    /// has no pointer input, with its other arguments valid.
    call: fn(&mut Slots) -> OakStatus,
    /// The function has a pointer input (passed as NULL), so every call
    /// must fail with `OAK_ERR_INVALID_ARGUMENT`.
    null_input: bool,
}

fn case(call: fn(&mut Slots) -> OakStatus) -> Case {
    Case {
        call,
        null_input: true,
    }
}

fn n<T>() -> *const T {
    ptr::null()
}

/// One entry per function with out-parameters.
pub fn table() -> BTreeMap<&'static str, Case> {
    let mut t: BTreeMap<&'static str, Case> = BTreeMap::new();
    unsafe {
        // store.rs
        t.insert("oak_store_open", case(|s| oak_store_open(n(), s.p(0))));
        t.insert(
            "oak_store_open_default",
            Case {
                call: |s| oak_store_open_default(s.p(0)),
                null_input: false,
            },
        );
        t.insert("oak_store_load", case(|s| oak_store_load(n(), n(), s.p(0))));
        t.insert(
            "oak_store_delete",
            case(|s| oak_store_delete(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_store_exists",
            case(|s| oak_store_exists(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_store_list",
            case(|s| oak_store_list(n(), s.p(0), s.p(1))),
        );
        t.insert(
            "oak_store_namespaces",
            case(|s| oak_store_namespaces(n(), s.p(0), s.p(1))),
        );
        t.insert(
            "oak_store_namespace",
            case(|s| oak_store_namespace(n(), s.p(0))),
        );
        t.insert(
            "oak_store_backend",
            case(|s| oak_store_backend(n(), s.p(0))),
        );
        // callback_store.rs
        t.insert(
            "oak_store_from_callbacks",
            case(|s| oak_store_from_callbacks(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_store_callbacks_in_namespace",
            case(|s| oak_store_callbacks_in_namespace(n(), n(), s.p(0))),
        );
        // validating_store.rs, provider_oauth2.rs, background.rs
        t.insert(
            "oak_store_validating",
            case(|s| oak_store_validating(n(), 0, 0, n(), s.p(0))),
        );
        t.insert(
            "oak_provider_oauth2",
            case(|s| oak_provider_oauth2(n(), n(), n(), n(), n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_background_refresh_start",
            case(|s| oak_background_refresh_start(n(), n(), 0, 1, s.p(0))),
        );
        t.insert(
            "oak_background_refresh_errors",
            case(|s| oak_background_refresh_errors(n(), s.p(0), s.p(1))),
        );
        // server_store.rs
        t.insert(
            "oak_server_store_open",
            case(|s| oak_server_store_open(n(), s.p(0))),
        );
        t.insert(
            "oak_server_store_fetch_client",
            case(|s| oak_server_store_fetch_client(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_server_store_delete_client",
            case(|s| oak_server_store_delete_client(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_server_store_take_code",
            case(|s| oak_server_store_take_code(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_server_store_fetch_token",
            case(|s| oak_server_store_fetch_token(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_server_store_fetch_by_refresh_token",
            case(|s| oak_server_store_fetch_by_refresh_token(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_server_store_delete_refresh_token",
            case(|s| oak_server_store_delete_refresh_token(n(), n(), s.p(0))),
        );
        // deploy.rs
        t.insert(
            "oak_deploy_new",
            case(|s| oak_deploy_new(n(), n(), n(), n(), 0, s.p(0))),
        );
        t.insert(
            "oak_deploy_new_shared",
            case(|s| oak_deploy_new_shared(n(), n(), n(), n(), 0, n(), n(), 0, 0, s.p(0))),
        );
        // claims.rs
        t.insert(
            "oak_claims_from_json",
            case(|s| oak_claims_from_json(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_id_token_claims",
            case(|s| oak_token_set_id_token_claims(n(), s.p(0))),
        );
        t.insert(
            "oak_claims_string",
            case(|s| oak_claims_string(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_claims_bool",
            case(|s| oak_claims_bool(n(), n(), s.p(0), s.p(1))),
        );
        t.insert(
            "oak_claims_time",
            case(|s| oak_claims_time(n(), n(), s.p(0), s.p(1))),
        );
        t.insert(
            "oak_claims_json",
            case(|s| oak_claims_json(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_claims_display_name",
            case(|s| oak_claims_display_name(n(), s.p(0))),
        );
        t.insert(
            "oak_claims_subject_id",
            case(|s| oak_claims_subject_id(n(), s.p(0))),
        );
        t.insert(
            "oak_deploy_redirect_uri",
            case(|s| oak_deploy_redirect_uri(n(), s.p(0))),
        );
        t.insert(
            "oak_deploy_handle",
            case(|s| oak_deploy_handle(n(), n(), n(), n(), n(), n(), 0, n(), s.p(0))),
        );
        t.insert(
            "oak_deploy_session_key",
            case(|s| oak_deploy_session_key(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_deploy_response_status",
            case(|s| oak_deploy_response_status(n(), s.p(0))),
        );
        t.insert(
            "oak_deploy_response_headers",
            case(|s| oak_deploy_response_headers(n(), s.p(0), s.p(1), s.p(2))),
        );
        t.insert(
            "oak_deploy_response_body",
            case(|s| oak_deploy_response_body(n(), s.p(0))),
        );
        // token_set.rs
        t.insert(
            "oak_token_set_new",
            case(|s| oak_token_set_new(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_from_json",
            case(|s| oak_token_set_from_json(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_to_json",
            case(|s| oak_token_set_to_json(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_clone",
            case(|s| oak_token_set_clone(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_access_token",
            case(|s| oak_token_set_access_token(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_refresh_token",
            case(|s| oak_token_set_refresh_token(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_id_token",
            case(|s| oak_token_set_id_token(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_token_type",
            case(|s| oak_token_set_token_type(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_scope",
            case(|s| oak_token_set_scope(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_resource_server",
            case(|s| oak_token_set_resource_server(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_identity_id",
            case(|s| oak_token_set_identity_id(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_expires_at",
            case(|s| oak_token_set_expires_at(n(), s.p(0), s.p(1))),
        );
        t.insert(
            "oak_token_set_issued_at",
            case(|s| oak_token_set_issued_at(n(), s.p(0))),
        );
        t.insert(
            "oak_token_set_is_expired",
            case(|s| oak_token_set_is_expired(n(), 0, s.p(0))),
        );
        t.insert(
            "oak_token_set_has_scope",
            case(|s| oak_token_set_has_scope(n(), n(), s.p(0))),
        );
        // dpop.rs
        t.insert(
            "oak_dpop_headers",
            case(|s| oak_dpop_headers(n(), n(), n(), n(), s.p(0), s.p(1))),
        );
        t.insert(
            "oak_dpop_record_nonce",
            case(|s| oak_dpop_record_nonce(n(), n(), 0, n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_dpop_algorithm",
            case(|s| oak_provider_dpop_algorithm(n(), s.p(0))),
        );
        // provider.rs
        t.insert(
            "oak_provider_oidc",
            case(|s| oak_provider_oidc(n(), n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_google",
            case(|s| oak_provider_google(n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_microsoft",
            case(|s| oak_provider_microsoft(n(), n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_github",
            case(|s| oak_provider_github(n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_from_env",
            Case {
                call: |s| oak_provider_from_env(s.p(0)),
                null_input: false,
            },
        );
        t.insert(
            "oak_provider_name",
            case(|s| oak_provider_name(n(), s.p(0))),
        );
        t.insert(
            "oak_provider_issuer",
            case(|s| oak_provider_issuer(n(), s.p(0))),
        );
        t.insert(
            "oak_provider_keycloak",
            case(|s| oak_provider_keycloak(n(), n(), n(), n(), n(), false, s.p(0))),
        );
        t.insert(
            "oak_provider_auth0",
            case(|s| oak_provider_auth0(n(), n(), n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_okta",
            case(|s| oak_provider_okta(n(), n(), n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_gitlab",
            case(|s| oak_provider_gitlab(n(), n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_revoke",
            case(|s| oak_provider_revoke(n(), n(), 0, s.p(0))),
        );
        t.insert(
            "oak_provider_userinfo",
            case(|s| oak_provider_userinfo(n(), n(), s.p(0))),
        );
        // flow.rs
        t.insert(
            "oak_flow_new",
            case(|s| oak_flow_new(n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_flow_run_native",
            case(|s| oak_flow_run_native(n(), None, ptr::null_mut(), s.p(0), s.p(1), s.p(2))),
        );
        t.insert("oak_flow_state", case(|s| oak_flow_state(n(), s.p(0))));
        // session.rs
        t.insert(
            "oak_session_new",
            case(|s| oak_session_new(n(), n(), None, ptr::null_mut(), s.p(0))),
        );
        t.insert(
            "oak_session_access_token",
            case(|s| oak_session_access_token(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_session_tokens",
            case(|s| oak_session_tokens(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_session_refresh",
            case(|s| oak_session_refresh(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_session_logout",
            case(|s| oak_session_logout(n(), n(), s.p(0))),
        );
        // client_credentials.rs, device.rs, logout.rs, provider_settings.rs
        // jwt_bearer.rs
        t.insert(
            "oak_provider_jwt_bearer",
            case(|s| oak_provider_jwt_bearer(n(), n(), n(), s.p(0))),
        );
        t.insert(
            "oak_provider_jwt_bearer_signed",
            case(|s| {
                oak_provider_jwt_bearer_signed(n(), n(), n(), n(), n(), n(), n(), n(), s.p(0))
            }),
        );
        t.insert(
            "oak_session_client_credentials",
            case(|s| oak_session_client_credentials(n(), n(), n(), n(), s.p(0), s.p(1))),
        );
        t.insert(
            "oak_device_flow_new",
            case(|s| oak_device_flow_new(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_device_flow_run",
            case(|s| oak_device_flow_run(n(), None, ptr::null_mut(), s.p(0), s.p(1))),
        );
        t.insert(
            "oak_logout",
            case(|s| oak_logout(n(), n(), n(), 0, None, ptr::null_mut(), s.p(0))),
        );
        t.insert(
            "oak_logout_url",
            case(|s| oak_logout_url(n(), n(), n(), n(), s.p(0), s.p(1))),
        );
        // token_exchange.rs
        t.insert(
            "oak_token_exchange",
            case(|s| {
                oak_token_exchange(
                    n(),
                    n(),
                    n(),
                    n(),
                    n(),
                    n(),
                    0,
                    n(),
                    0,
                    n(),
                    n(),
                    s.p(0),
                    s.p(1),
                )
            }),
        );
        t.insert(
            "oak_provider_from_settings",
            case(|s| oak_provider_from_settings(n(), n(), 1, s.p(0))),
        );
        // dev_provider.rs
        t.insert(
            "oak_dev_provider_start",
            Case {
                call: |s| oak_dev_provider_start(true, 0, false, s.p(0)),
                null_input: false,
            },
        );
        t.insert(
            "oak_dev_provider_issuer",
            case(|s| oak_dev_provider_issuer(n(), s.p(0))),
        );
        t.insert(
            "oak_dev_provider_client_id",
            case(|s| oak_dev_provider_client_id(n(), s.p(0))),
        );
        t.insert(
            "oak_dev_provider_token_requests",
            case(|s| oak_dev_provider_token_requests(n(), n(), s.p(0))),
        );
        t.insert(
            "oak_dev_provider_is_token_active",
            case(|s| oak_dev_provider_is_token_active(n(), n(), s.p(0))),
        );
    }
    t
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(oak_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Every function with an out-parameter has an entry here and in the C
/// test, and nothing else does.
#[test]
fn the_out_parameter_tables_cover_every_function_in_the_header() {
    let header: Vec<String> = functions_with_out_params().into_keys().collect();
    let rust: Vec<String> = table().into_keys().map(str::to_owned).collect();
    assert_eq!(
        rust, header,
        "tests/capi/out_params.rs `table` must list exactly the header's functions with \
         out-parameters"
    );
    let c_test = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ffi/c/test_capi.c"))
        .expect("read ffi/c/test_capi.c");
    let mut c_names: Vec<String> = c_test
        .match_indices("OUT_CASE(oak_")
        .map(|(i, m)| {
            let start = i + m.len() - "oak_".len();
            let end = c_test[start..].find([',', ')']).unwrap() + start;
            c_test[start..end].trim().to_owned()
        })
        .collect();
    c_names.sort();
    c_names.dedup();
    assert_eq!(
        c_names, header,
        "ffi/c/test_capi.c must have one OUT_CASE per header function with out-parameters"
    );
}

/// Each function with out-parameters is called with a NULL first argument
/// and poisoned out-parameters, once with all of them given and once with
/// each one in turn NULL: every out-parameter that was given comes back
/// NULL / 0 / false.
#[test]
fn every_out_parameter_is_reset_when_a_call_fails_on_a_null_argument() {
    let functions = functions_with_out_params();
    let table = table();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, outs) in &functions {
        let case = table
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name} has no entry in the table"));
        assert!(outs.len() <= 4, "{name}: more than 4 out-parameters");
        let variants = std::iter::once(None).chain((0..outs.len()).map(Some));
        for null in variants {
            // Without a pointer input the only way to fail is a NULL
            // out-parameter; with all of them given the call would succeed.
            if !case.null_input && null.is_none() {
                continue;
            }
            let mut slots = Slots {
                bufs: [POISON; 4],
                null,
            };
            let status = (case.call)(&mut slots);
            checked += 1;
            if status != OAK_ERR_INVALID_ARGUMENT {
                failures.push(format!(
                    "{name} (NULL out: {null:?}): status {status:?}, expected \
                     OAK_ERR_INVALID_ARGUMENT ({})",
                    last_error()
                ));
                continue;
            }
            if !last_error().contains("is NULL") {
                failures.push(format!("{name}: message {:?}", last_error()));
            }
            for (i, p) in outs.iter().enumerate() {
                if null == Some(i) {
                    continue;
                }
                let size = pointee_size(&p.ty);
                let mask = if size == 8 {
                    u64::MAX
                } else {
                    (1u64 << (size * 8)) - 1
                };
                if slots.bufs[i] & mask != 0 {
                    failures.push(format!(
                        "{name}: `{} {}` left as {:#x} when the call failed (NULL out: {:?})",
                        p.ty,
                        p.name,
                        slots.bufs[i] & mask,
                        null.map(|j| &outs[j].name)
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= functions.len(), "only {checked} calls checked");
}

/// The parser itself: the header's known shapes come out right.
#[test]
fn the_header_parser_reads_declarations() {
    let f = header_functions(
        "/** doc (with; semicolon) */\n#define X 1\ntypedef int32_t (*Fn)(const char *url);\n\
         OakStatus oak_a(const OakStore *store,\n    char ***out_items, size_t *out_len);\n\
         void oak_b(void);",
    );
    assert_eq!(f.len(), 2, "{f:?}");
    let a = &f["oak_a"];
    assert_eq!(
        (a[1].ty.as_str(), a[1].name.as_str()),
        ("char***", "out_items")
    );
    assert_eq!(
        (a[2].ty.as_str(), a[2].name.as_str()),
        ("size_t*", "out_len")
    );
    assert!(writable_pointer("char***") && writable_pointer("bool*"));
    assert!(!writable_pointer("constOakStore*") && !writable_pointer("OakFlow*"));
    assert!(f["oak_b"].is_empty());
}
