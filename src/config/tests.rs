//! Loading, errors that name the key and its origin, the environment, and the example file.

use super::*;

fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("outloud.toml");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

#[test]
fn defaults_are_valid() {
    let c = Config::load_with(None, &[]).unwrap();
    assert_eq!(c.database.url, "sqlite:var/outloud.db");
    assert_eq!(c.threading.subject_window_days, 14);
}

#[test]
fn example_config_loads() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/outloud.example.toml");
    let c = Config::load_with(Some(&p), &[]).unwrap();
    assert!(!c.groups.is_empty());
}

#[test]
fn example_mailbox_block_is_valid() {
    // The commented example in the file stays true: un-comment it and load it.
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/outloud.example.toml");
    let text: String = std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| l.strip_prefix("#> ").unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    let (_d, p) = write(&text);
    let c = Config::load_with(Some(&p), &[]).unwrap();
    assert_eq!(c.mailboxes[0].name, "corp");
    assert_eq!(c.mailboxes[0].after, AfterAction::Flag);
    assert_eq!(c.mailboxes[1].auth, AuthMethod::Xoauth2);
    let o = c.mailboxes[1].oauth2.as_ref().unwrap();
    assert_eq!(o.provider, oauth2::Provider::Microsoft);
    assert_eq!(o.scope(), Some(oauth2::MICROSOFT_SCOPE));
}

#[test]
fn unknown_key_names_key_and_file() {
    let (_d, p) = write("[web]\nbnd = \"x\"\n");
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("outloud.toml") && e.contains("bnd"), "{e}");
}

#[test]
fn bad_value_names_key() {
    let (_d, p) = write("[web]\nbind = \"nowhere\"\n");
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("web.bind") && e.contains("outloud.toml"), "{e}");
}

#[test]
fn env_overrides_file_and_names_variable() {
    let (_d, p) = write("[web]\nbind = \"127.0.0.1:1\"\n");
    let env = vec![("OUTLOUD_WEB_BIND".to_string(), "127.0.0.1:2".to_string())];
    assert_eq!(
        Config::load_with(Some(&p), &env).unwrap().web.bind,
        "127.0.0.1:2"
    );
    let env = vec![("OUTLOUD_IMPORT_BATCH_SIZE".to_string(), "lots".to_string())];
    let e = Config::load_with(Some(&p), &env).unwrap_err().to_string();
    assert!(
        e.contains("OUTLOUD_IMPORT_BATCH_SIZE") && e.contains("import.batch_size"),
        "{e}"
    );
    let env = vec![("OUTLOUD_WEB_BINDD".to_string(), "x".to_string())];
    assert!(Config::load_with(Some(&p), &env)
        .unwrap_err()
        .to_string()
        .contains("OUTLOUD_WEB_BINDD"));
    let env = vec![("OUTLOUD_MAILSTACK_DIR".to_string(), "/tmp/x".to_string())];
    assert!(
        Config::load_with(Some(&p), &env).is_ok(),
        "variables outside our sections are not ours"
    );
}

#[test]
fn password_in_file_is_refused_and_masked() {
    let (_d, p) = write("[database]\nurl = \"postgres://u:hunter2@db/x\"\n");
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("database.url") && !e.contains("hunter2"), "{e}");
    let d = DatabaseConfig {
        url: "postgres://u:hunter2@db/x".into(),
        url_file: None,
    };
    assert!(!format!("{d:?}").contains("hunter2"));
}

#[test]
fn mailbox_errors_name_the_key() {
    let base = "[[mailboxes]]\nname = \"corp\"\nhost = \"imap.corp.example\"\nuser = \"outloud\"\n";
    let (_d, p) = write(&format!("{base}tls = \"none\"\npassword_env = \"X\"\n"));
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("mailboxes[0].tls"), "{e}");
    let (_d, p) = write(base);
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("mailboxes[0].password_env"), "{e}");
    let (_d, p) = write(&format!("{base}password_env = \"X\"\nafter = \"move\"\n"));
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("mailboxes[0].move_to"), "{e}");
    let (_d, p) = write(&format!("{base}password_env = \"X\"\ntls = \"starttls\"\n"));
    let c = Config::load_with(Some(&p), &[]).unwrap();
    assert_eq!(c.mailboxes[0].port(), 143);
    assert!(!format!("{:?}", c.mailboxes[0]).contains("password\""));
}

#[test]
fn duplicate_group_address_is_reported() {
    let (_d, p) = write(
        "[[groups]]\nslug = \"eng\"\naddresses = [\"eng@corp.example\"]\n[[groups]]\nslug = \"ops\"\naddresses = [\"ENG@corp.example\"]\n",
    );
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("groups[1].addresses") && e.contains("eng"),
        "{e}"
    );
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const MAILBOX: &str = "[[mailboxes]]\nname = \"corp-eu\"\nhost = \"imap.corp.example\"\nuser = \"outloud\"\npassword_env = \"CORP_PW\"\n";

#[test]
fn every_key_is_documented_in_the_example_file() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/outloud.example.toml");
    let text = std::fs::read_to_string(p).unwrap();
    // The lines of each section's block, with the "#> " example marker and "# " removed.
    let block = |header: &str| -> Vec<String> {
        let lines: Vec<String> = text
            .lines()
            .map(|l| l.trim_start_matches("#> ").to_string())
            .collect();
        let start = lines.iter().position(|l| l == header).unwrap_or_else(|| {
            panic!("{header} missing from the example file");
        });
        lines[start + 1..]
            .iter()
            .take_while(|l| !l.starts_with('['))
            .map(|l| l.trim_start_matches("# ").to_string())
            .collect()
    };
    let mut cfg = Config::default();
    // A key whose value is a table of its own is documented by that table's header.
    let table_header = |key: &str| {
        let header = format!("[mailboxes.{key}]");
        text.lines().any(|l| l.trim_start_matches("#> ") == header)
    };
    let check = |header: String, keys: &[&str]| {
        let lines = block(&header);
        for key in keys {
            assert!(
                lines.iter().any(|l| l.starts_with(&format!("{key} = "))) || table_header(key),
                "{header} {key} is not documented in config/outloud.example.toml"
            );
        }
    };
    for name in SECTIONS {
        let keys = cfg.section_mut(name).keys();
        check(format!("[{name}]"), keys);
    }
    let t: toml::Table = toml::from_str(MAILBOX).unwrap();
    let m = list::<MailboxConfig>(&t, &mut Vec::new()).remove(0);
    check("[[mailboxes]]".into(), m.keys());
    let o = OAuth2Config::from_table(&toml::from_str("provider = \"command\"").unwrap()).unwrap();
    check("[mailboxes.oauth2]".into(), o.keys());
    let g = GroupConfig::from_table(
        &toml::from_str("slug = \"x\"\naddresses = [\"x@corp.example\"]").unwrap(),
    )
    .unwrap();
    check("[[groups]]".into(), g.keys());
}

#[test]
fn daemon_and_mailbox_keys_come_from_the_environment() {
    let (_d, p) = write(MAILBOX);
    let c = Config::load_with(
        Some(&p),
        &env(&[
            ("OUTLOUD_DAEMON_LEASE_SECS", "30"),
            ("OUTLOUD_DAEMON_INSTANCE", "replica-2"),
            ("OUTLOUD_MAILBOX_CORP_EU_HOST", "imap2.corp.example"),
            ("OUTLOUD_MAILBOX_CORP_EU_FOLDERS", "INBOX, Lists/eng"),
            ("OUTLOUD_MAILBOX_CORP_EU_TLS", "starttls"),
            ("OUTLOUD_LOG_FORMAT", "json"),
            ("CORP_PW", "not a setting"),
        ]),
    )
    .unwrap();
    assert_eq!(c.daemon.lease_secs, 30);
    assert_eq!(c.daemon.instance.as_deref(), Some("replica-2"));
    let m = &c.mailboxes[0];
    assert_eq!(m.host, "imap2.corp.example");
    assert_eq!(m.folders, vec!["INBOX", "Lists/eng"]);
    assert_eq!(m.port(), 143);
    assert_eq!(c.log.format, LogFormat::Json);
    assert_eq!(
        c.origin_of("mailboxes[0].host"),
        "environment OUTLOUD_MAILBOX_CORP_EU_HOST"
    );
    assert_eq!(c.origin_of("web.bind"), p.display().to_string());
}

#[test]
fn environment_errors_name_the_variable_and_the_key() {
    let (_d, p) = write(MAILBOX);
    let e = Config::load_with(Some(&p), &env(&[("OUTLOUD_MAILBOX_CORP_EU_PORT", "x")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("OUTLOUD_MAILBOX_CORP_EU_PORT") && e.contains("mailboxes[0].port"),
        "{e}"
    );
    let e = Config::load_with(Some(&p), &env(&[("OUTLOUD_MAILBOX_CORP_HOST", "x")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("OUTLOUD_MAILBOX_CORP_EU"), "{e}");
    let e = Config::load_with(Some(&p), &env(&[("OUTLOUD_DAEMON_LEASE", "9")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("OUTLOUD_DAEMON_LEASE_SECS"), "{e}");
    let e = Config::load_with(Some(&p), &env(&[("OUTLOUD_LOG_FORMAT", "xml")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("log.format") && e.contains("\"text\" or \"json\""),
        "{e}"
    );
    // Validation names the variable that set the bad value, not the file.
    let e = Config::load_with(Some(&p), &env(&[("OUTLOUD_DAEMON_LEASE_SECS", "1")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("environment OUTLOUD_DAEMON_LEASE_SECS: key `daemon.lease_secs`"),
        "{e}"
    );
}

#[test]
fn every_problem_is_reported() {
    let (_d, p) = write(
        "[web]\nbind = \"nowhere\"\n[daemon]\nlease_secs = 1\n[[mailboxes]]\nname = \"a\"\nhost = \"h\"\nuser = \"u\"\n",
    );
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    for key in ["web.bind", "daemon.lease_secs", "mailboxes[0].password_env"] {
        assert!(e.contains(key), "{key} missing from: {e}");
    }
    assert!(e.starts_with("3 problems"), "{e}");
    let (_d, p) = write("[web]\nbind = 1\nport = 2\n[[groups]]\nslug = \"Eng\"\n");
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    for key in [
        "web.bind",
        "web.port",
        "groups[0].slug",
        "groups[0].addresses",
    ] {
        assert!(e.contains(&format!("`{key}`")), "{key} missing from: {e}");
    }
}

#[test]
fn group_slugs_and_addresses_are_checked_once_on_the_way_in() {
    let (_d, p) = write(
        "[[groups]]\nslug = \"eng\"\naddresses = [\" Eng@Corp.Example\", \"Eng <eng@corp.example>\"]\n",
    );
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("groups[0].addresses") && e.contains("plain address"),
        "{e}"
    );
    let (_d, p) = write("[[groups]]\nslug = \"eng\"\naddresses = [\" Eng@Corp.Example\"]\n");
    let c = Config::load_with(Some(&p), &[]).unwrap();
    assert_eq!(c.groups[0].addresses[0], "eng@corp.example");
    let c = Config::load_with(
        Some(&p),
        &env(&[(
            "OUTLOUD_GROUP_ENG_ADDRESSES",
            "eng@corp.example, dev@corp.example",
        )]),
    )
    .unwrap();
    assert_eq!(c.groups[0].addresses.len(), 2);
}

#[test]
fn a_mailbox_reads_on_its_own() {
    let m: MailboxConfig =
        toml::from_str("name = \"x\"\nhost = \"h\"\nuser = \"u\"\ntls = \"none\"\n").unwrap();
    assert_eq!(m.tls, TlsMode::None);
    assert_eq!(m.port(), 143);
    let e = toml::from_str::<MailboxConfig>("name = \"x\"\nhost = \"h\"\n").unwrap_err();
    assert!(e.to_string().contains("key `user`: missing"), "{e}");
}

const M365: &str = "[[mailboxes]]\nname = \"m365\"\nhost = \"outlook.office365.com\"\nuser = \"eng@corp.example\"\nauth = \"xoauth2\"\n[mailboxes.oauth2]\nprovider = \"microsoft\"\ntenant = \"corp.example\"\nclient_id = \"app-1\"\nclient_secret_env = \"M365_SECRET\"\n";

#[test]
fn oauth2_block_loads_and_its_keys_come_from_the_environment() {
    let (_d, p) = write(M365);
    let c = Config::load_with(
        Some(&p),
        &env(&[
            ("OUTLOUD_MAILBOX_M365_OAUTH2_TENANT", "tenant-guid"),
            (
                "OUTLOUD_MAILBOX_M365_OAUTH2_SCOPE",
                "https://outlook.office.com/.default",
            ),
            ("M365_SECRET", "not a setting"),
        ]),
    )
    .unwrap();
    let m = &c.mailboxes[0];
    assert!(m.uses_oauth2());
    let o = m.oauth2.as_ref().unwrap();
    assert_eq!(o.tenant.as_deref(), Some("tenant-guid"));
    assert_eq!(o.scope(), Some("https://outlook.office.com/.default"));
    assert_eq!(
        c.origin_of("mailboxes[0].oauth2.tenant"),
        "environment OUTLOUD_MAILBOX_M365_OAUTH2_TENANT"
    );
    let e = Config::load_with(
        Some(&p),
        &env(&[("OUTLOUD_MAILBOX_M365_OAUTH2_GRANT", "x")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("mailboxes[0].oauth2.grant") && e.contains("\"refresh_token\""),
        "{e}"
    );
    let e = Config::load_with(Some(&p), &env(&[("OUTLOUD_MAILBOX_M365_OAUTH2", "x")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("OUTLOUD_MAILBOX_M365_OAUTH2"), "{e}");
    assert!(!format!("{m:?}").contains("not a setting"));
}

#[test]
fn oauth2_mistakes_name_the_nested_key() {
    // A key of the nested table that does not exist, and one of the wrong provider.
    let (_d, p) = write(&format!(
        "{M365}tenat = \"x\"\nservice_account_file = \"/sa.json\"\n"
    ));
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("`mailboxes[0].oauth2.tenat`: unknown key"),
        "{e}"
    );
    let text = M365.replace("tenant = \"corp.example\"\n", "");
    let (_d, p) = write(&format!("{text}service_account_file = \"/sa.json\"\n"));
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("`mailboxes[0].oauth2.tenant`: provider = \"microsoft\" needs tenant"),
        "{e}"
    );
    assert!(
        e.contains(
            "`mailboxes[0].oauth2.service_account_file`: not used by provider = \"microsoft\""
        ),
        "{e}"
    );
    // A secret and a certificate at once; a password besides the token.
    let (_d, p) = write(&format!(
        "{M365}certificate_file = \"/c.pem\"\ncertificate_key_file = \"/k.pem\"\n"
    ));
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("oauth2.certificate_file") && e.contains("not both"),
        "{e}"
    );
    let text = M365.replace(
        "auth = \"xoauth2\"\n",
        "auth = \"xoauth2\"\npassword_env = \"P\"\n",
    );
    let (_d, p) = write(&text);
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("mailboxes[0].password_env") && e.contains("not used with auth"),
        "{e}"
    );
}

#[test]
fn auth_and_oauth2_go_together() {
    let base =
        "[[mailboxes]]\nname = \"g\"\nhost = \"imap.gmail.com\"\nuser = \"eng@corp.example\"\n";
    let (_d, p) = write(&format!("{base}auth = \"oauthbearer\"\n"));
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("mailboxes[0].oauth2") && e.contains("needs a [mailboxes.oauth2]"),
        "{e}"
    );
    let google = "[mailboxes.oauth2]\nprovider = \"google\"\nservice_account_file = \"/sa.json\"\n";
    let (_d, p) = write(&format!("{base}password_env = \"P\"\n{google}"));
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("mailboxes[0].auth") && e.contains("xoauth2"),
        "{e}"
    );
    let (_d, p) = write(&format!("{base}auth = \"xoauth2\"\n{google}"));
    let c = Config::load_with(Some(&p), &[]).unwrap();
    assert_eq!(
        c.mailboxes[0].oauth2.as_ref().unwrap().scope(),
        Some(oauth2::GOOGLE_SCOPE)
    );
}

#[test]
fn token_endpoints_need_https_unless_on_loopback() {
    let generic = |url: &str| {
        format!(
            "[[mailboxes]]\nname = \"k\"\nhost = \"imap.corp.example\"\nuser = \"u\"\nauth = \"xoauth2\"\n\
             [mailboxes.oauth2]\nprovider = \"generic\"\nclient_id = \"c\"\nclient_secret_file = \"/s\"\ntoken_url = \"{url}\"\n"
        )
    };
    let (_d, p) = write(&generic("http://sso.corp.example/token"));
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(
        e.contains("mailboxes[0].oauth2.token_url") && e.contains("https"),
        "{e}"
    );
    let (_d, p) = write(&generic("http://127.0.0.1:9000/token"));
    assert!(Config::load_with(Some(&p), &[]).is_ok());
    let (_d, p) = write(
        &generic("https://sso.corp.example/token").replace("client_secret_file = \"/s\"\n", ""),
    );
    let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("oauth2.client_secret_env"), "{e}");
}

#[test]
fn secrets_are_masked_wherever_urls_stand() {
    assert_eq!(
        mask_secrets("postgres://u:hunter2@db:5432/x"),
        "postgres://u:***@db:5432/x"
    );
    assert_eq!(
        mask_secrets("cannot open database postgresql://:p%40ss@db/x: refused"),
        "cannot open database postgresql://:***@db/x: refused"
    );
    assert_eq!(
        mask_secrets("postgres://u@db/x?sslmode=require&password=hunter2&x=1"),
        "postgres://u@db/x?sslmode=require&password=***&x=1"
    );
    assert_eq!(
        mask_secrets("\"postgres://u:hunter2@db/x\" and smtp://a:b@mail"),
        "\"postgres://u:***@db/x\" and smtp://a:***@mail"
    );
    // Nothing to mask.
    for plain in [
        "sqlite:var/outloud.db",
        "postgres://u@db/x",
        "see https://x.example/a:b",
    ] {
        assert_eq!(mask_secrets(plain), plain);
    }
}

#[test]
fn unknown_outloud_variables_are_warned_about() {
    let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let c = Config::load_with(
        None,
        &env(&[
            ("OUTLOUD_DATABSE_URL", "sqlite:x.db"),
            ("OUTLOUD_NOTHING_LIKE_IT", "1"),
            ("OUTLOUD_CONFIG", "x.toml"),
            ("OUTLOUD_TEST_PG", "postgres://x"),
            ("OUTLOUD_IMAP_PORT", "143"),
        ]),
    )
    .unwrap();
    assert_eq!(
        c.warnings,
        vec![
            "environment OUTLOUD_DATABSE_URL: not a setting of outloud, ignored \
             (did you mean OUTLOUD_DATABASE_URL?)"
                .to_string(),
            "environment OUTLOUD_NOTHING_LIKE_IT: not a setting of outloud, ignored".to_string(),
        ]
    );
    // An error in a variable names the variable, not the file.
    let e = Config::load_with(None, &env(&[("OUTLOUD_IMPORT_BATCH_SIZE", "abc")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("environment OUTLOUD_IMPORT_BATCH_SIZE: key `import.batch_size`"),
        "{e}"
    );
}

const SMTP_OAUTH2: &str = "[identity]\naddresses = [\"outloud@corp.example\"]\n[smtp]\nhost = \"smtp.office365.com\"\nauth = \"xoauth2\"\nuser = \"outloud@corp.example\"\n[smtp.oauth2]\nprovider = \"microsoft\"\ntenant = \"corp.example\"\nclient_id = \"c\"\nclient_secret_env = \"M365_SMTP_SECRET\"\n";

#[test]
fn smtp_oauth2_comes_from_the_file_and_the_environment() {
    let (_d, p) = write(SMTP_OAUTH2);
    let c = Config::load_with(
        Some(&p),
        &env(&[
            ("OUTLOUD_SMTP_OAUTH2_TENANT", "00000000-aaaa"),
            ("OUTLOUD_SMTP_OAUTH2_CLIENT_ID", "app-2"),
            ("M365_SMTP_SECRET", "not a setting"),
        ]),
    )
    .unwrap();
    assert_eq!(c.smtp.auth, SmtpAuth::Xoauth2);
    assert!(c.smtp.uses_oauth2());
    let o = c.smtp.oauth2.as_ref().unwrap();
    assert_eq!(o.tenant.as_deref(), Some("00000000-aaaa"));
    assert_eq!(o.client_id.as_deref(), Some("app-2"));
    assert_eq!(o.scope(), Some(oauth2::MICROSOFT_SCOPE));
    assert_eq!(
        c.origin_of("smtp.oauth2.tenant"),
        "environment OUTLOUD_SMTP_OAUTH2_TENANT"
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // The secret's variable named from the environment is a secret too, not a setting.
    let c = Config::load_with(
        Some(&p),
        &env(&[
            (
                "OUTLOUD_SMTP_OAUTH2_CLIENT_SECRET_ENV",
                "OUTLOUD_M365_SECRET",
            ),
            ("OUTLOUD_M365_SECRET", "s3cret"),
        ]),
    )
    .unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(!format!("{c:?}").contains("s3cret"));
}

#[test]
fn smtp_oauth2_problems_name_their_keys() {
    let problems = |text: &str| {
        let (_d, p) = write(text);
        Config::load_with(Some(&p), &[]).unwrap_err().to_string()
    };
    let base = "[identity]\naddresses = [\"outloud@corp.example\"]\n[smtp]\nhost = \"smtp.corp.example\"\nuser = \"u@corp.example\"\n";
    let e = problems(&format!("{base}auth = \"xoauth2\"\npassword_env = \"P\"\n"));
    assert!(
        e.contains("key `smtp.oauth2`: auth = \"xoauth2\" needs an [smtp.oauth2] table")
            && e.contains("key `smtp.password_env`: not used with auth = \"xoauth2\""),
        "{e}"
    );
    let e = problems(&format!(
        "{base}auth = \"oauthbearer\"\n[smtp.oauth2]\nprovider = \"microsoft\"\nclient_id = \"c\"\nservice_account_file = \"sa.json\"\n"
    ));
    for key in [
        "smtp.oauth2.tenant",
        "smtp.oauth2.client_secret_env",
        "smtp.oauth2.service_account_file",
    ] {
        assert!(e.contains(&format!("key `{key}`")), "{key}: {e}");
    }
    let e = problems(&format!(
        "{base}password_env = \"P\"\n[smtp.oauth2]\nprovider = \"command\"\ncommand = [\"t\"]\n"
    ));
    assert!(
        e.contains("key `smtp.auth`: [smtp.oauth2] is set but auth = \"password\""),
        "{e}"
    );
    let e = problems(&format!("{base}auth = \"oauth2\"\n"));
    assert!(e.contains("smtp.auth") && e.contains("\"xoauth2\""), "{e}");
}
