//! The planner's cases as data: profiles in, a one-line summary of the plan (or the error) out.
//!
//! A summary reads from the first credentials to the last role:
//! `stored(base) > mfa(alice, process=p) > one > two@us-west-2`, where `mfa(…)` is an MFA session,
//! a role is the last part of its ARN, `@region` is shown when it is not the fallback, and
//! `[mfa …]` marks an AssumeRole call that carries its own MFA code.

use std::time::Duration;

use super::*;
use crate::config::from_strs;

struct Case {
    what: &'static str,
    config: &'static str,
    credentials: &'static str,
    /// Profiles with keys in awsenv's store.
    stored: &'static [&'static str],
    profile: &'static str,
    /// The summary, or `error: ` and the start of the message.
    expect: &'static str,
}

const CHAIN: &str = "\
[profile base]
region = eu-west-1
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile hop1]
role_arn = arn:aws:iam::222222222222:role/one
source_profile = base
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile hop2]
role_arn = arn:aws:iam::333333333333:role/two
source_profile = hop1
external_id = ext-2
duration_seconds = 1800
region = us-west-2
[profile hop3]
role_arn = arn:aws:iam::444444444444:role/three
source_profile = hop2
role_session_name = me
[profile hop4]
role_arn = arn:aws:iam::5:role/four
source_profile = hop3
mfa_serial = arn:aws:iam::1:mfa/bob
";
const CHAIN_CREDS: &str = "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = secret\n";

const MIXED: &str = "\
[profile wi]
role_arn = arn:aws:iam::1:role/wi
web_identity_token_file = /tmp/token
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
[profile legacy]
sso_start_url = https://old.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Read
[profile broken-sso]
sso_session = nope
sso_account_id = 1
sso_role_name = R
[profile ec2]
role_arn = arn:aws:iam::1:role/x
credential_source = Ec2InstanceMetadata
[profile bad-cs]
role_arn = arn:aws:iam::1:role/x
credential_source = Laptop
";

const LOOPS: &str = "\
[profile a]
role_arn = arn:aws:iam::1:role/a
source_profile = b
[profile b]
role_arn = arn:aws:iam::1:role/b
source_profile = c
[profile c]
role_arn = arn:aws:iam::1:role/c
source_profile = a
[profile d]
role_arn = arn:aws:iam::1:role/d
source_profile = nope
[profile e]
role_arn = arn:aws:iam::1:role/e
";

const SELF: &str = "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = a\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n";

const PRECEDENCE: &str = "[profile p]\ncredential_process = fetch-creds\n[profile q]\ncredential_process = fetch\naws_access_key_id = K\naws_secret_access_key = S\n";

/// aws-vault's layout: the MFA user carries `mfa_process`, the roles behind it only name the
/// device (or nothing).
const MFA_PROCESS: &str = "\
[profile user]
mfa_serial = arn:aws:iam::1:mfa/u
mfa_process = otp user
[profile admin]
role_arn = arn:aws:iam::2:role/admin
source_profile = user
mfa_serial = arn:aws:iam::1:mfa/u
[profile temp-user]
mfa_serial = arn:aws:iam::1:mfa/t
mfa_process = otp temp
[profile via-temp]
role_arn = arn:aws:iam::2:role/via
source_profile = temp-user
mfa_serial = arn:aws:iam::1:mfa/t
[profile own]
role_arn = arn:aws:iam::2:role/own
source_profile = user
mfa_serial = arn:aws:iam::1:mfa/u
mfa_process = otp own
";
const MFA_CREDS: &str = "[user]\naws_access_key_id = AKIAU\naws_secret_access_key = s\n[temp-user]\naws_access_key_id = ASIAT\naws_secret_access_key = s\naws_session_token = t\n";

/// `aws login` profiles beside the other sources, as botocore orders them.
const LOGIN: &str = "\
[profile console]
login_session = arn:aws:iam::111111111111:user/alice
region = eu-west-2
[profile console-role]
role_arn = arn:aws:iam::222222222222:role/deploy
source_profile = console
[profile console-role-mfa]
role_arn = arn:aws:iam::222222222222:role/guarded
source_profile = console
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile with-process]
login_session = arn:aws:iam::1:root
credential_process = fetch
[profile with-config-keys]
login_session = arn:aws:iam::1:root
aws_access_key_id = AKIACFG
aws_secret_access_key = s
[profile with-file-keys]
login_session = arn:aws:iam::1:root
[profile with-sso]
login_session = arn:aws:iam::1:root
sso_session = corp
sso_account_id = 1
sso_role_name = R
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
[profile with-web-identity]
login_session = arn:aws:iam::1:root
role_arn = arn:aws:iam::1:role/wi
web_identity_token_file = /tmp/t
[profile role-and-login]
login_session = arn:aws:iam::1:root
role_arn = arn:aws:iam::1:role/r
source_profile = role-and-login
";
const LOGIN_CREDS: &str =
    "[with-file-keys]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n";

const CASES: &[Case] = &[
    Case {
        what: "a login_session profile is a source of its own, in its own region",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "console",
        expect: "login(console@eu-west-2)",
    },
    Case {
        what: "a login_session profile as the source_profile of a role",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "console-role",
        expect: "login(console@eu-west-2) > deploy",
    },
    Case {
        what: "a console session is temporary: no MFA session, the role passes its code",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "console-role-mfa",
        expect: "login(console@eu-west-2) > guarded [mfa console-role-mfa]",
    },
    Case {
        what: "login_session beats credential_process",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "with-process",
        expect: "login(with-process)",
    },
    Case {
        what: "login_session beats the config file's keys",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "with-config-keys",
        expect: "login(with-config-keys)",
    },
    Case {
        what: "the credentials file's keys beat login_session (botocore's order)",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "with-file-keys",
        expect: "static(with-file-keys)",
    },
    Case {
        what: "IAM Identity Center beats login_session",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "with-sso",
        expect: "sso(with-sso, session corp, eu-central-1)",
    },
    Case {
        what: "web identity beats login_session",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "with-web-identity",
        expect: "web-identity(with-web-identity)",
    },
    Case {
        what: "only long-term keys may combine with their own role: a console session is a loop",
        config: LOGIN,
        credentials: LOGIN_CREDS,
        stored: &[],
        profile: "role-and-login",
        expect: "error: profile `role-and-login`: source_profile loop role-and-login -> role-and-login",
    },
    Case {
        what: "a three-hop chain from long-term keys: one MFA session in front of the first role",
        config: CHAIN,
        credentials: CHAIN_CREDS,
        stored: &[],
        profile: "hop3",
        expect: "static(base) > mfa(hop1) > one > two@us-west-2 > three",
    },
    Case {
        what: "a role deeper in the chain with its own mfa_serial passes the code on its call",
        config: CHAIN,
        credentials: CHAIN_CREDS,
        stored: &[],
        profile: "hop4",
        expect: "static(base) > mfa(hop1) > one > two@us-west-2 > three > four [mfa hop4]",
    },
    Case {
        what: "temporary source keys cannot make an MFA session: the role passes the code",
        config: CHAIN,
        credentials: "[base]\naws_access_key_id = ASIA\naws_secret_access_key = s\naws_session_token = t\n",
        stored: &[],
        profile: "hop1",
        expect: "static(base) > one [mfa hop1]",
    },
    Case {
        what: "keys with mfa_serial and no role get an MFA session of their own",
        config: CHAIN,
        credentials: CHAIN_CREDS,
        stored: &[],
        profile: "base",
        expect: "static(base) > mfa(base)@eu-west-1",
    },
    Case {
        what: "a profile naming itself as source combines its keys and its role",
        config: SELF,
        credentials: "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = s\n",
        stored: &[],
        profile: "a",
        expect: "static(a) > a",
    },
    Case {
        what: "a source profile's keys beat its own role",
        config: SELF,
        credentials: "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = s\n",
        stored: &[],
        profile: "b",
        expect: "static(a) > b",
    },
    Case {
        what: "a loop is named with its chain and line",
        config: LOOPS,
        credentials: "",
        stored: &[],
        profile: "a",
        expect: "error: profile `a`: source_profile loop a -> b -> c -> a (config:9)",
    },
    Case {
        what: "a missing source profile is named with its line",
        config: LOOPS,
        credentials: "",
        stored: &[],
        profile: "d",
        expect: "error: profile `d` names source_profile `nope`, which does not exist (config:12)",
    },
    Case {
        what: "a role without a source",
        config: LOOPS,
        credentials: "",
        stored: &[],
        profile: "e",
        expect: "error: profile `e` has role_arn but neither source_profile nor credential_source (config:14)",
    },
    Case {
        what: "an unknown profile suggests close names",
        config: CHAIN,
        credentials: CHAIN_CREDS,
        stored: &[],
        profile: "hop",
        expect: "error: profile `hop` is not in config or credentials; did you mean hop1",
    },
    Case {
        what: "credentials-file keys beat credential_process",
        config: PRECEDENCE,
        credentials: "[p]\naws_access_key_id = FROMFILE\naws_secret_access_key = S\n",
        stored: &[],
        profile: "p",
        expect: "static(p)",
    },
    Case {
        what: "credential_process alone",
        config: PRECEDENCE,
        credentials: "",
        stored: &[],
        profile: "p",
        expect: "process(p)",
    },
    Case {
        what: "credential_process beats config-file keys",
        config: PRECEDENCE,
        credentials: "",
        stored: &[],
        profile: "q",
        expect: "process(q)",
    },
    Case {
        what: "web identity",
        config: MIXED,
        credentials: "",
        stored: &[],
        profile: "wi",
        expect: "web-identity(wi)",
    },
    Case {
        what: "an [sso-session] profile",
        config: MIXED,
        credentials: "",
        stored: &[],
        profile: "sso",
        expect: "sso(sso, session corp, eu-central-1)",
    },
    Case {
        what: "a legacy SSO profile",
        config: MIXED,
        credentials: "",
        stored: &[],
        profile: "legacy",
        expect: "sso(legacy, start url, us-east-1)",
    },
    Case {
        what: "a missing [sso-session] is named with the profile's line",
        config: MIXED,
        credentials: "",
        stored: &[],
        profile: "broken-sso",
        expect: "error: profile `broken-sso`: sso_session `nope` has no [sso-session nope] section (config:17)",
    },
    Case {
        what: "credential_source",
        config: MIXED,
        credentials: "",
        stored: &[],
        profile: "ec2",
        expect: "Ec2InstanceMetadata > x",
    },
    Case {
        what: "an unknown credential_source",
        config: MIXED,
        credentials: "",
        stored: &[],
        profile: "bad-cs",
        expect: "error: profile `bad-cs`: credential_source `Laptop` is not one of Environment, Ec2InstanceMetadata, EcsContainer (config:25)",
    },
    Case {
        what: "stored keys come before the credentials file",
        config: CHAIN,
        credentials: CHAIN_CREDS,
        stored: &["base"],
        profile: "base",
        expect: "stored(base) > mfa(base)@eu-west-1",
    },
    Case {
        what: "stored keys as the source of a chain",
        config: CHAIN,
        credentials: CHAIN_CREDS,
        stored: &["base"],
        profile: "hop3",
        expect: "stored(base) > mfa(hop1) > one > two@us-west-2 > three",
    },
    Case {
        what: "a profile only in the store",
        config: "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = vault-only\n",
        credentials: "",
        stored: &["vault-only"],
        profile: "vault-only",
        expect: "stored(vault-only)",
    },
    Case {
        what: "a profile only in the store as a source",
        config: "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = vault-only\n",
        credentials: "",
        stored: &["vault-only"],
        profile: "role",
        expect: "stored(vault-only) > r",
    },
    Case {
        what: "without the store, a store-only source is missing",
        config: "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = vault-only\n",
        credentials: "",
        stored: &[],
        profile: "role",
        expect: "error: profile `role` names source_profile `vault-only`, which does not exist",
    },
    Case {
        what: "unknown everywhere is still unknown, with a store",
        config: "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = vault-only\n",
        credentials: "",
        stored: &["vault-only"],
        profile: "nope",
        expect: "error: profile `nope` is not in config or credentials",
    },
    Case {
        what: "stored keys of a source beat its role; self reference works",
        config: SELF,
        credentials: "",
        stored: &["a"],
        profile: "b",
        expect: "stored(a) > b",
    },
    Case {
        what: "mfa_process comes from the MFA user behind a role",
        config: MFA_PROCESS,
        credentials: MFA_CREDS,
        stored: &[],
        profile: "admin",
        expect: "static(user) > mfa(admin, process=otp user) > admin",
    },
    Case {
        what: "mfa_process of the user behind a role, on the role's own call",
        config: MFA_PROCESS,
        credentials: MFA_CREDS,
        stored: &[],
        profile: "via-temp",
        expect: "static(temp-user) > via [mfa via-temp, process=otp temp]",
    },
    Case {
        what: "the profile carrying the mfa_serial has its own mfa_process first",
        config: MFA_PROCESS,
        credentials: MFA_CREDS,
        stored: &[],
        profile: "own",
        expect: "static(user) > mfa(own, process=otp own) > own",
    },
    Case {
        what: "mfa_process with stored keys too",
        config: MFA_PROCESS,
        credentials: "",
        stored: &["user"],
        profile: "admin",
        expect: "stored(user) > mfa(admin, process=otp user) > admin",
    },
];

fn mfa(m: &Mfa) -> String {
    match &m.process {
        Some(p) => format!("{}, process={p}", m.profile),
        None => m.profile.clone(),
    }
}

fn region(r: &str) -> String {
    if r == FALLBACK_REGION {
        String::new()
    } else {
        format!("@{r}")
    }
}

fn summary(p: &Plan) -> String {
    let mut parts = vec![match &p.source {
        Source::Static { profile, .. } => format!("static({profile})"),
        Source::Stored { profile, .. } => format!("stored({profile})"),
        Source::Process { profile, .. } => format!("process({profile})"),
        Source::WebIdentity { profile, .. } => format!("web-identity({profile})"),
        Source::LoginSession {
            profile, region, ..
        } => format!("login({profile}{})", self::region(region)),
        Source::Sso {
            profile, session, ..
        } => match &session.name {
            Some(n) => format!("sso({profile}, session {n}, {})", session.region),
            None => format!("sso({profile}, start url, {})", session.region),
        },
        other => other.origin().to_string(),
    }];
    if let Some(m) = &p.mfa_session {
        parts.push(format!("mfa({}){}", mfa(&m.mfa), region(&m.region)));
    }
    for h in &p.hops {
        let role = h.role_arn.rsplit('/').next().unwrap_or_default();
        let own_mfa = h
            .mfa
            .as_ref()
            .map(|m| format!(" [mfa {}]", mfa(m)))
            .unwrap_or_default();
        parts.push(format!("{role}{}{own_mfa}", region(&h.region)));
    }
    parts.join(" > ")
}

fn stored(names: &[&str]) -> StoredKeys {
    StoredKeys::new(
        "keyring",
        names
            .iter()
            .map(|p| (p.to_string(), format!("AKIA{}", p.to_uppercase())))
            .collect(),
    )
}

fn plan_of(
    files: &Files,
    stored: &StoredKeys,
    env: &Env,
    name: &str,
    o: &Overrides,
) -> Result<Plan, PlanError> {
    plan(&Inputs { files, stored, env }, name, o)
}

#[test]
fn every_case() {
    let mut failed = Vec::new();
    for c in CASES {
        let files = from_strs(c.config, c.credentials);
        let got = match plan_of(
            &files,
            &stored(c.stored),
            &Env::default(),
            c.profile,
            &Overrides::default(),
        ) {
            Ok(p) => summary(&p),
            Err(e) => format!("error: {e}"),
        };
        let ok = if c.expect.starts_with("error: ") {
            got.starts_with(c.expect)
        } else {
            got == c.expect
        };
        if !ok {
            failed.push(format!(
                "{}\n  expected: {}\n  got:      {got}",
                c.what, c.expect
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// What a summary leaves out: the fields of each hop, the keys, the regions.
#[test]
fn a_chain_keeps_every_setting_of_each_hop() {
    let files = from_strs(CHAIN, CHAIN_CREDS);
    let p = plan_of(
        &files,
        &StoredKeys::default(),
        &Env::default(),
        "hop3",
        &Overrides::default(),
    )
    .unwrap();
    assert!(
        matches!(&p.source, Source::Static { access_key_id, .. } if access_key_id == "AKIABASE")
    );
    let mfa = p.mfa_session.as_ref().unwrap();
    assert_eq!(mfa.mfa.serial, "arn:aws:iam::111111111111:mfa/alice");
    assert_eq!(mfa.duration, DEFAULT_MFA_SESSION);
    assert_eq!(p.hops[0].mfa, None, "the session carries MFA, not the call");
    assert_eq!(p.hops[1].external_id.as_deref(), Some("ext-2"));
    assert_eq!(p.hops[1].duration, Some(Duration::from_secs(1800)));
    assert_eq!(p.hops[2].session_name.as_deref(), Some("me"));
    assert_eq!(p.region, None);
    // Stored keys: the id from the index.
    let p = plan_of(
        &files,
        &stored(&["base"]),
        &Env::default(),
        "base",
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        p.source,
        Source::Stored {
            profile: "base".into(),
            access_key_id: "AKIABASE".into()
        }
    );
    assert_eq!(p.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn overrides_and_the_mfa_session_duration() {
    let files = from_strs(CHAIN, CHAIN_CREDS);
    let o = Overrides {
        region: Some("ap-south-1".into()),
        duration: Some(Duration::from_secs(7200)),
    };
    let env = Env::default().with(env::MFA_SESSION_DURATION, "12h");
    let p = plan_of(&files, &StoredKeys::default(), &env, "hop3", &o).unwrap();
    assert_eq!(p.region.as_deref(), Some("ap-south-1"));
    assert_eq!(p.hops[2].duration, Some(Duration::from_secs(7200)));
    assert_eq!(p.hops[0].region, "ap-south-1");
    assert_eq!(
        p.mfa_session.unwrap().duration,
        Duration::from_secs(12 * 3600)
    );
}

#[test]
fn endpoints_come_from_the_target_profile() {
    let config = "[profile p]\naws_access_key_id = K\naws_secret_access_key = S\nendpoint_url = http://global\nservices = local\n[services local]\nsts =\n  endpoint_url = http://sts-from-services\n";
    let files = from_strs(config, "");
    let p = plan_of(
        &files,
        &StoredKeys::default(),
        &Env::default(),
        "p",
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(p.sts_endpoint.as_deref(), Some("http://sts-from-services"));
    assert_eq!(p.sso_endpoint.as_deref(), Some("http://global"));
}

#[test]
fn invalid_role_settings_are_errors_before_any_call() {
    let base = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\n{}\n[profile s]\naws_access_key_id = K\naws_secret_access_key = S\n";
    let with = |line: &str| from_strs(&base.replace("{}", line), "");
    let err = |line: &str| {
        plan_of(
            &with(line),
            &StoredKeys::default(),
            &Env::default(),
            "r",
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string()
    };
    let e = err("role_session_name = x");
    assert!(
        e.contains("role_session_name `x`") && e.contains("config:4"),
        "{e}"
    );
    let e = err("duration_seconds = soon");
    assert!(
        e.contains("duration_seconds `soon`") && e.contains("config:4"),
        "{e}"
    );
    assert!(plan_of(
        &with("role_session_name = alice@example.com"),
        &StoredKeys::default(),
        &Env::default(),
        "r",
        &Overrides::default()
    )
    .is_ok());
}

/// botocore reads static keys from one file: the credentials file when it has an access key,
/// else the config file; the legacy `aws_security_token` before `aws_session_token`.
#[test]
fn static_keys_come_from_one_file() {
    let files = from_strs(
        "[profile st]\naws_access_key_id = AKIACFG\naws_secret_access_key = c\naws_session_token = STALE\n\
         [profile cfg]\naws_access_key_id = ASIACFG\naws_secret_access_key = c\naws_session_token = CFGTOKEN\n\
         [profile split]\naws_access_key_id = AKIASPLIT\n\
         [profile legacy]\naws_access_key_id = ASIAL\naws_secret_access_key = l\naws_security_token = SEC\naws_session_token = SES\n",
        "[st]\naws_access_key_id = AKIACRED\naws_secret_access_key = s\n\
         [cfg]\naws_session_token = CREDTOKEN\n\
         [split]\naws_secret_access_key = s\n",
    );
    let keys = |name: &str| match plan_of(
        &files,
        &stored(&[]),
        &Env::default(),
        name,
        &Overrides::default(),
    ) {
        Ok(Plan {
            source:
                Source::Static {
                    access_key_id,
                    session_token,
                    ..
                },
            ..
        }) => format!(
            "{access_key_id} {}",
            session_token.as_ref().map_or("-", |t| t.expose())
        ),
        Ok(other) => format!("{other:?}"),
        Err(e) => format!("error: {e}"),
    };
    assert_eq!(keys("st"), "AKIACRED -");
    assert_eq!(keys("cfg"), "ASIACFG CFGTOKEN");
    assert_eq!(keys("legacy"), "ASIAL SEC");
    assert!(
        keys("split").starts_with("error: profile `split`: aws_secret_access_key is missing"),
        "{}",
        keys("split")
    );
}

/// The settings of one kind of source on profile `p`: (config lines, credentials lines, stored).
fn settings_of(kind: source::Kind) -> (&'static str, &'static str, bool) {
    use source::Kind::*;
    match kind {
        WebIdentity => (
            "role_arn = arn:aws:iam::1:role/wi\nweb_identity_token_file = /tmp/t\n",
            "",
            false,
        ),
        Sso => (
            "sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = R\n",
            "",
            false,
        ),
        StoredKeys => ("", "", true),
        CredentialsFileKeys => (
            "",
            "aws_access_key_id = AKIACREDS\naws_secret_access_key = s\n",
            false,
        ),
        LoginSession => ("login_session = arn:aws:iam::1:user/a\n", "", false),
        CredentialProcess => ("credential_process = /bin/creds\n", "", false),
        ConfigFileKeys => (
            "aws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n",
            "",
            false,
        ),
    }
}

/// The kind of the source a plan starts from.
fn kind_of(s: &Source) -> source::Kind {
    use source::Kind::*;
    match s {
        Source::WebIdentity { .. } => WebIdentity,
        Source::Sso { .. } => Sso,
        Source::Stored { .. } => StoredKeys,
        Source::Static {
            access_key_id: id, ..
        } if id == "AKIACREDS" => CredentialsFileKeys,
        Source::Static { .. } => ConfigFileKeys,
        Source::LoginSession { .. } => LoginSession,
        Source::Process { .. } => CredentialProcess,
        other => panic!("not a source of a profile: {other:?}"),
    }
}

/// Every pair of sources set on one profile (and each alone): the planner picks the one that
/// comes first in [`source::ORDER`]. That the table is botocore's order is checked against
/// botocore itself, pair by pair, in `tests/it/botocore.rs`.
#[test]
fn every_pair_of_sources_resolves_to_the_first_in_the_order() {
    let order = source::ORDER;
    for (i, &first) in order.iter().enumerate() {
        for &second in &order[i..] {
            let (c1, k1, s1) = settings_of(first);
            let (c2, k2, s2) = settings_of(second);
            let config = format!(
                "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-central-1\n[profile p]\n{c1}{c2}"
            );
            let credentials = format!("[p]\n{k1}{k2}");
            let files = from_strs(&config, &credentials);
            let keys = stored(if s1 || s2 { &["p"] } else { &[] });
            let plan = plan_of(&files, &keys, &Env::default(), "p", &Overrides::default())
                .unwrap_or_else(|e| panic!("{first:?} + {second:?}: {e}"));
            assert!(plan.hops.is_empty(), "{first:?} + {second:?}: {plan:?}");
            assert_eq!(kind_of(&plan.source), first, "{first:?} + {second:?}");
        }
    }
}
