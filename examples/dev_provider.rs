//! Runs oauthkit's development OpenID provider on 127.0.0.1 until Ctrl-C,
//! printing its issuer and a CLI profile for it, so `oauthkit login` can be
//! tried offline:
//!
//! ```sh
//! cargo run --example dev_provider --features dev-provider -- --auto-approve
//! ```

use oauthkit::dev_provider::{DevProvider, DevProviderOptions};

fn main() -> oauthkit::Result<()> {
    let auto = std::env::args().any(|a| a == "--auto-approve");
    let idp = DevProvider::start(DevProviderOptions::default().auto_approve(auto))?;
    println!("dev provider: {}", idp.issuer());
    println!("a profile for the oauthkit CLI (~/.config/oauthkit/config.toml):\n");
    println!(
        "[profiles.dev]\nissuer = \"{}\"\nclient_id = \"{}\"\nscopes = [\"openid\", \"email\", \"profile\", \"offline_access\"]\n",
        idp.issuer(),
        idp.client_id()
    );
    println!("(the port changes on every start; Ctrl-C stops it)");
    loop {
        std::thread::park();
    }
}
