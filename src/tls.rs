//! TLS client settings shared by every outgoing connection (IMAP, OAuth2 token endpoints):
//! rustls with the ring provider, the public web roots, plus an optional extra CA.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls;

/// rustls with ring; roots are the public web roots plus `ca_file` (a private CA or a
/// self-signed server certificate, PEM).
pub fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let Some(path) = ca_file else {
        return client_config_pem(None);
    };
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
    client_config_pem(Some((&pem, &path.display().to_string())))
}

/// The same, with the extra CA already read: `(pem, where it came from)` (SMTP reads its
/// `ca_file` once when it starts).
pub fn client_config_pem(ca: Option<(&[u8], &str)>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some((mut pem, name)) = ca {
        let mut added = 0;
        for cert in rustls_pemfile::certs(&mut pem) {
            let cert = cert.map_err(|e| format!("ca_file {name}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("ca_file {name}: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!("ca_file {name} holds no PEM certificate"));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
