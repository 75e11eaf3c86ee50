//! The AWS partitions, written once: which partition a region is in, its DNS suffixes, and the
//! hosts of its console and sign-in pages. Every host awsenv builds itself (console, federation,
//! the sign-in service) comes from here; the hosts of services with an SDK client (STS, IAM, the
//! SSO portal, SSO-OIDC) come from the SDKs' own endpoint rules (see [`super::endpoints`]).
//!
//! The SDK crates embed the same partition data but keep it private, so the table is written
//! out here and a test holds it against botocore's `partitions.json` (and botocore's sign-in
//! endpoint rules), the AWS CLI's source of truth.

/// One partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// `aws`, `aws-cn`, `aws-us-gov`, `aws-eusc`, `aws-iso`, …
    pub id: &'static str,
    /// The partition's `regionRegex`, as `partitions.json` writes it: always
    /// `^PREFIX\-\w+\-\d+$`, PREFIX one name or `(a|b|…)`.
    pub region_regex: &'static str,
    /// The regions the partition names outright (they match even when the pattern does not).
    regions: &'static [&'static str],
    pub dns_suffix: &'static str,
    pub dual_stack_dns_suffix: &'static str,
    pub implicit_global_region: &'static str,
    /// The domain of the console and sign-in pages: `signin.<it>/federation`,
    /// `console.<it>`, and the sign-in service `<region>.signin.<it>`.
    home: &'static str,
}

/// Every partition, in botocore's order. A region no partition claims is in `aws` (as the
/// SDKs resolve it).
pub const PARTITIONS: &[Partition] = &[
    Partition {
        id: "aws",
        region_regex: r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$",
        regions: &[
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "aws-global",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "me-west-1",
            "mx-central-1",
            "sa-east-1",
            "sa-west-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        ],
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
        implicit_global_region: "us-east-1",
        home: "aws.amazon.com",
    },
    Partition {
        id: "aws-cn",
        region_regex: r"^cn\-\w+\-\d+$",
        regions: &["aws-cn-global", "cn-north-1", "cn-northwest-1"],
        dns_suffix: "amazonaws.com.cn",
        dual_stack_dns_suffix: "api.amazonwebservices.com.cn",
        implicit_global_region: "cn-northwest-1",
        home: "amazonaws.cn",
    },
    Partition {
        id: "aws-eusc",
        region_regex: r"^eusc\-(de)\-\w+\-\d+$",
        regions: &["eusc-de-east-1"],
        dns_suffix: "amazonaws.eu",
        dual_stack_dns_suffix: "api.amazonwebservices.eu",
        implicit_global_region: "eusc-de-east-1",
        home: "amazonaws-eusc.eu",
    },
    Partition {
        id: "aws-iso",
        region_regex: r"^us\-iso\-\w+\-\d+$",
        regions: &["aws-iso-global", "us-iso-east-1", "us-iso-west-1"],
        dns_suffix: "c2s.ic.gov",
        dual_stack_dns_suffix: "api.aws.ic.gov",
        implicit_global_region: "us-iso-east-1",
        home: "c2shome.ic.gov",
    },
    Partition {
        id: "aws-iso-b",
        region_regex: r"^us\-isob\-\w+\-\d+$",
        regions: &["aws-iso-b-global", "us-isob-east-1", "us-isob-west-1"],
        dns_suffix: "sc2s.sgov.gov",
        dual_stack_dns_suffix: "api.aws.scloud",
        implicit_global_region: "us-isob-east-1",
        home: "sc2shome.sgov.gov",
    },
    Partition {
        id: "aws-iso-e",
        region_regex: r"^eu\-isoe\-\w+\-\d+$",
        regions: &["aws-iso-e-global", "eu-isoe-west-1"],
        dns_suffix: "cloud.adc-e.uk",
        dual_stack_dns_suffix: "api.cloud-aws.adc-e.uk",
        implicit_global_region: "eu-isoe-west-1",
        home: "csphome.adc-e.uk",
    },
    Partition {
        id: "aws-iso-f",
        region_regex: r"^us\-isof\-\w+\-\d+$",
        regions: &["aws-iso-f-global", "us-isof-east-1", "us-isof-south-1"],
        dns_suffix: "csp.hci.ic.gov",
        dual_stack_dns_suffix: "api.aws.hci.ic.gov",
        implicit_global_region: "us-isof-south-1",
        home: "csphome.hci.ic.gov",
    },
    Partition {
        id: "aws-us-gov",
        region_regex: r"^us\-gov\-\w+\-\d+$",
        regions: &["aws-us-gov-global", "us-gov-east-1", "us-gov-west-1"],
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
        implicit_global_region: "us-gov-west-1",
        home: "amazonaws-us-gov.com",
    },
];

impl Partition {
    /// The partition of `region`, as the SDKs' `aws.partition` function picks it: a region a
    /// partition names, else the first whose pattern matches, else `aws`.
    pub fn of_region(region: &str) -> &'static Partition {
        PARTITIONS
            .iter()
            .find(|p| p.regions.contains(&region))
            .or_else(|| PARTITIONS.iter().find(|p| p.matches(region)))
            .unwrap_or(&PARTITIONS[0])
    }

    /// Whether `region` matches the partition's pattern `^PREFIX\-\w+\-\d+$`: one of the
    /// prefixes, a word (`\w` has no dash, so `us-gov-west-1` is not `us-<word>-1`), digits.
    fn matches(&self, region: &str) -> bool {
        self.prefixes().iter().any(|prefix| {
            let Some(rest) = region
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix('-'))
            else {
                return false;
            };
            let Some((word, digits)) = rest.split_once('-') else {
                return false;
            };
            !word.is_empty()
                && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
        })
    }

    /// The region prefixes the pattern allows: `^(us|eu)\-\w+\-\d+$` → `us`, `eu`;
    /// `^eusc\-(de)\-\w+\-\d+$` → `eusc-de`. The table's patterns all have this shape
    /// (a test holds them against botocore's), so no regex engine is needed.
    fn prefixes(&self) -> Vec<String> {
        let head = self
            .region_regex
            .strip_prefix('^')
            .and_then(|r| r.strip_suffix(r"\-\w+\-\d+$"))
            .unwrap_or_default()
            .replace('\\', "");
        match head.split_once('(') {
            Some((before, group)) => group
                .trim_end_matches(')')
                .split('|')
                .map(|alt| format!("{before}{alt}"))
                .collect(),
            None => vec![head],
        }
    }

    /// The regions the partition names outright.
    #[cfg(test)]
    pub fn regions(&self) -> &'static [&'static str] {
        self.regions
    }

    /// The console federation endpoint (getSigninToken, and the `login` URL).
    pub fn federation_base(&self) -> String {
        format!("https://signin.{}", self.home)
    }

    /// Where a sign-in URL sends the browser.
    pub fn console_base(&self) -> String {
        format!("https://console.{}", self.home)
    }

    /// The sign-in service (`aws login`'s token refresh, CreateOAuth2Token) in `region`, as the
    /// service's endpoint rules give it: each partition's own sign-in domain by default; the
    /// generic `signin[-fips].REGION.SUFFIX` for FIPS and dual-stack (GovCloud keeps its own
    /// FIPS hosts).
    pub fn signin_service(&self, region: &str, v: Variants) -> String {
        match (v.fips, v.dual_stack, self.id) {
            (false, false, _) => format!("https://{region}.signin.{}", self.home),
            (true, false, "aws-us-gov") if region == "us-gov-west-1" => {
                "https://signin-fips.amazonaws-us-gov.com".to_string()
            }
            (true, false, "aws-us-gov") => {
                format!("https://{region}.signin-fips.amazonaws-us-gov.com")
            }
            (true, false, _) => format!("https://signin-fips.{region}.{}", self.dns_suffix),
            (fips, true, _) => format!(
                "https://signin{}.{region}.{}",
                if fips { "-fips" } else { "" },
                self.dual_stack_dns_suffix
            ),
        }
    }
}

/// The endpoint variants a profile asks for (`use_fips_endpoint`, `use_dualstack_endpoint`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Variants {
    pub fips: bool,
    pub dual_stack: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_find_their_partition() {
        for (region, id) in [
            ("us-east-1", "aws"),
            ("eu-west-2", "aws"),
            ("aws-global", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-southwest-9", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-gov-central-7", "aws-us-gov"),
            ("eusc-de-east-1", "aws-eusc"),
            ("eusc-de-north-2", "aws-eusc"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            // Nothing claims it: the SDKs fall back to aws.
            ("mars-north-1", "aws"),
            ("eusc-fr-east-1", "aws"),
        ] {
            assert_eq!(Partition::of_region(region).id, id, "{region}");
        }
    }

    #[test]
    fn hosts_by_partition() {
        let gov = Partition::of_region("us-gov-west-1");
        assert_eq!(gov.console_base(), "https://console.amazonaws-us-gov.com");
        assert_eq!(gov.federation_base(), "https://signin.amazonaws-us-gov.com");
        let eusc = Partition::of_region("eusc-de-east-1");
        assert_eq!(
            eusc.signin_service("eusc-de-east-1", Variants::default()),
            "https://eusc-de-east-1.signin.amazonaws-eusc.eu"
        );
        assert_eq!(
            Partition::of_region("cn-north-1").signin_service("cn-north-1", Variants::default()),
            "https://cn-north-1.signin.amazonaws.cn"
        );
    }

    /// botocore's partitions and sign-in endpoints (tests/fixtures/partitions.py).
    fn botocore() -> serde_json::Value {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join(".venv-test/bin/python");
        assert!(python.exists(), "no test venv: run `bash tests/setup.sh`");
        let home = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(python)
            .arg(root.join("tests/fixtures/partitions.py"))
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    #[test]
    fn the_table_is_botocores() {
        let b = botocore();
        let theirs = b["partitions"]["partitions"].as_array().unwrap();
        let ids = |ps: &mut dyn Iterator<Item = String>| ps.collect::<Vec<_>>();
        assert_eq!(
            ids(&mut PARTITIONS.iter().map(|p| p.id.to_string())),
            ids(&mut theirs.iter().map(|p| p["id"].as_str().unwrap().to_string())),
        );
        for (ours, theirs) in PARTITIONS.iter().zip(theirs) {
            let o = &theirs["outputs"];
            assert_eq!(ours.region_regex, theirs["regionRegex"], "{}", ours.id);
            assert_eq!(ours.dns_suffix, o["dnsSuffix"], "{}", ours.id);
            assert_eq!(
                ours.dual_stack_dns_suffix, o["dualStackDnsSuffix"],
                "{}",
                ours.id
            );
            assert_eq!(
                ours.implicit_global_region, o["implicitGlobalRegion"],
                "{}",
                ours.id
            );
            let mut regions = theirs["regions"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>();
            regions.sort();
            assert_eq!(ours.regions(), regions, "{}", ours.id);
            // Every region botocore names is in its partition by our rules too.
            for r in &regions {
                assert_eq!(Partition::of_region(r).id, ours.id, "{r}");
                if !r.ends_with("-global") {
                    assert!(ours.matches(r), "{r} does not match {}", ours.region_regex);
                }
            }
        }
    }

    #[test]
    fn sign_in_hosts_are_botocores() {
        let b = botocore();
        let mut compared = 0;
        for (key, url) in b["signin"].as_object().unwrap() {
            let Some(url) = url.as_str().filter(|u| !u.starts_with("error")) else {
                continue;
            };
            let mut words = key.split(' ');
            let region = words.next().unwrap();
            let v = Variants {
                fips: words.next() == Some("fips=True"),
                dual_stack: words.next() == Some("dualstack=True"),
            };
            assert_eq!(
                Partition::of_region(region).signin_service(region, v),
                url,
                "{key}"
            );
            compared += 1;
        }
        // Every partition, with and without FIPS and dual-stack.
        assert!(compared > 150, "{compared}");
    }
}
