//! TLS for the simulated API servers. kubectl (client-go) sends bearer
//! tokens only over HTTPS, so each Kubernetes listener also speaks TLS, on
//! the same port: a connection whose first byte starts a TLS handshake gets
//! TLS, anything else plain HTTP (which `kube::Config::new` and curl use).
//!
//! Every simulator generates its own CA and server certificate at start
//! (rcgen), so no private key is ever committed or shared between runs. The
//! server certificate covers `127.0.0.1`, `::1` and `localhost`; the written
//! kubeconfig carries the CA.

use std::io;
use std::sync::Arc;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::either::Either;

/// TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Certificate generation failed.
    #[error("generate the simulator's certificates")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("configure TLS")]
    Config(#[from] rustls::Error),
}

/// One simulator's certificates and the acceptor serving them.
#[derive(Clone)]
pub struct SimTls {
    acceptor: TlsAcceptor,
    ca_pem: String,
    ca_der: Vec<u8>,
}

impl std::fmt::Debug for SimTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTls").finish_non_exhaustive()
    }
}

impl SimTls {
    /// Generates a fresh CA and a server certificate signed by it.
    pub fn generate() -> Result<Self, TlsError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "ocfail-sim-ca");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

        let names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "ocfail-sim-apiserver");
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &ca)?;

        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        // An explicit provider: the process may have more than one compiled in.
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone(), ca.der().clone()], key_der)?;
        Ok(SimTls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem: ca.pem(),
            ca_der: ca.der().to_vec(),
        })
    }

    /// The acceptor for the API servers.
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// The CA certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate (DER), for `kube::Config::root_cert`.
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// The CA PEM base64-encoded, as a kubeconfig's `certificate-authority-data` holds it.
    pub fn ca_data(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes())
    }
}

/// Plain or TLS, decided by the connection's first byte (0x16 starts a
/// TLS handshake record).
pub async fn sniff(
    stream: TcpStream,
    acceptor: Option<&TlsAcceptor>,
) -> io::Result<Either<TcpStream, TlsStream<TcpStream>>> {
    let Some(acceptor) = acceptor else {
        return Ok(Either::Left(stream));
    };
    let mut first = [0u8; 1];
    let n = stream.peek(&mut first).await?;
    if n == 1 && first[0] == 0x16 {
        acceptor.accept(stream).await.map(Either::Right)
    } else {
        Ok(Either::Left(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_simulator_gets_its_own_certificates() {
        let a = SimTls::generate().unwrap();
        let b = SimTls::generate().unwrap();
        assert!(a.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert_ne!(a.ca_pem(), b.ca_pem());
        assert!(!a.ca_der().is_empty());
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(a.ca_data())
            .unwrap();
        assert_eq!(decoded, a.ca_pem().as_bytes());
    }
}
