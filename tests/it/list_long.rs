//! `awsenv list --long`, the whole table: every kind of source, role chains, MFA, error cells,
//! keys in either file and a name with a control character. The rows are compared whole, so a
//! faster way of building them cannot change a byte of what is printed.

use crate::support::Home;

const CONFIG: &str = "\
[default]
region = eu-west-1
aws_access_key_id = AKIACONFIG
aws_secret_access_key = s
[profile user]
region = eu-central-1
mfa_serial = arn:aws:iam::111111111111:mfa/me
[profile admin]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = user
[profile deep]
role_arn = arn:aws:iam::333333333333:role/deep
source_profile = admin
region = ap-south-1
[profile tool]
credential_process = /bin/echo
[profile ec2]
role_arn = arn:aws:iam::444444444444:role/ec2
credential_source = Ec2InstanceMetadata
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
[profile sso]
sso_session = corp
sso_account_id = 555555555555
sso_role_name = Admin
[profile wi]
role_arn = arn:aws:iam::666666666666:role/wi
web_identity_token_file = /tmp/token
[profile console]
login_session = arn:aws:sts::777777777777:assumed-role/a/b
[profile ghost-role]
role_arn = arn:aws:iam::888888888888:role/g
source_profile = nowhere
[profile loop-a]
role_arn = arn:aws:iam::1:role/a
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::1:role/b
source_profile = loop-a
[profile empty]
region = us-west-2
[profile bad-name]
role_arn = arn:aws:iam::1:role/x
source_profile = user
role_session_name = no spaces allowed
[profile \"esc\x1bape\"]
aws_access_key_id = AKIAESC
aws_secret_access_key = s
";

#[test]
fn the_long_table_row_by_row() {
    let home = Home::new();
    home.config(CONFIG)
        .credentials("[user]\naws_access_key_id = AKIAUSER\naws_secret_access_key = s\n");
    let table = home.run(&["list", "--long"]).success().stdout;
    let expected = [
        "PROFILE       SOURCE                                                 REGION        MFA  CREDENTIALS                    SESSIONS",
        "admin         role <- user                                           -             -    -                              -",
        "bad-name      error: invalid settings (awsenv use bad-name)          -             -    -                              -",
        "console       login                                                  -             -    aws login (no session cached)  -",
        "deep          role <- admin <- user                                  ap-south-1    -    -                              -",
        "default       static                                                 eu-west-1     -    config file                    -",
        "ec2           role <- Ec2InstanceMetadata                            -             -    -                              -",
        "empty         error: no credentials (awsenv use empty)               -             -    -                              -",
        "esc\\u{1b}ape  static                                                 -             -    config file                    -",
        "ghost-role    error: missing source_profile (awsenv use ghost-role)  -             -    -                              -",
        "loop-a        error: source_profile loop (awsenv use loop-a)         -             -    -                              -",
        "loop-b        error: source_profile loop (awsenv use loop-b)         -             -    -                              -",
        "sso           sso                                                    -             -    -                              -",
        "tool          process                                                -             -    -                              -",
        "user          static                                                 eu-central-1  yes  credentials file               -",
        "wi            web identity                                           -             -    -                              -",
    ];
    assert_eq!(table.lines().collect::<Vec<_>>(), expected, "{table}");
    assert!(table.ends_with('\n'), "{table}");
}
