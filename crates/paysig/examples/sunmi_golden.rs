//! The main job until the sandbox tour lands: sign a Sunmi request the way sunmi.txt §2.1
//! describes, then verify the §6.2 notify sample with the §6.4 test public key, and show that
//! a forged amount is refused. Runs offline.
//!
//! `cargo run -p paysig --example sunmi_golden`

use paysig::md5::{HexCase, KeySuffix};
use paysig::{CanonicalRules, Md5Signer, Params, RsaPublicKey, SecretString};

const SUNMI_TEST_PUBLIC_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA9KIGIdV5W1oDXGf/HgUPjBvxYzPZpTiywWuCZZsu/kR3bJXhTfRFZHJfT7xQRdPkqV4ZeviZfopGqyr5PJvHwgy4bA2DFmqo9cZ36SetfY1eyBw398wHmSl7yoDEt/j+eraFXonKq2nrHQwt0/AQE7fNh+6KAg7Io9D49MCw0v4yF/FkhOAque/550tpek0Vdg5pX828OCXVW+wxwSEJMWJYQm8c5NJEhj1R5lThQtSSXrZ+C8zEUNuUvYODy5YYA6X1LFmu4bm9SEBl6ioqW1rWwgoxx3RXR94lkax1T1mJx8KFYGbZg3W5s05lEPHR3/mcJnFgEMqmtImVZ4OIvwIDAQAB";

/// The §6.2 sample as Sunmi posts it: a form body.
const NOTIFY_6_2: &str = "amount=1&businessId=&buyerPayAmount=1&misId=test_5F5EC7A54CDCC58BADC425&msn=D804P89V00033&orderId=15632714718760&orderType=0&payTime=1563271502&platform=alipay&platformId=2019071622001419071050445382&refunded=0&resultCode=T00&resultMsg=Success&sign=GW6jDdLQ1z%2BCFtLoKjmxtMiHeKjm2ZgMTq19gQisV%2FPpOPIBeDXhWEu5WSzxZwiJHVzCQrPhyZX6kdwQ9xGTyxbsKTZj31zUxtWqqcmol7DpkGJRuG9wzqnNCZ7kmUrk8%2FXLs1TRxIusCQuojEZOdsE%2FEWqy%2FOlX4TrD0WqCeW9Kkk1IB5izAamv9BcEEPgYFLo0hBujo85GEjjzJrFs9ds59TYe0ElOZ6zdputanCJZuM6%2FSqQ4a1Xoy%2FMJFKhA6K0zc8ZPFiW0bBMhVFSwSwRY3IEsP0YWva7QcT9AjVW2FFILghJ5vrjonAmhmKCIwtHMA8zwM9j6qgMEF0kCGg%3D%3D&state=3";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Sign a request (§2.1): all params but sign, sorted, app_key appended, MD5, upper hex.
    let signer = Md5Signer::new(
        CanonicalRules::sorted().exclude(["sign"]),
        KeySuffix::Append,
        HexCase::Upper,
    );
    let app_key = SecretString::from("dd3ac24736589ae17d333e362859bf4c");
    let request = Params::new()
        .with("app_id", "sm5b9b4daef3463")
        .with("charset", "utf8")
        .with("msn", "V206D88200036")
        .with("orderId", "sda1212")
        .with("amount", "1")
        .with("businessId", "453975342343")
        .with("oriOrderId", "148983452364238");
    let stages = signer.stages(&request, &app_key)?;
    println!("request canonical : {}", stages.canonical);
    println!("hashed (key masked): {}", stages.masked);
    println!("sign              : {}", stages.signature);

    // 2. Verify the §6.2 notify with the §6.4 key: sorted, `sign` excluded, empty values kept.
    let key = RsaPublicKey::from_pem_or_base64(SUNMI_TEST_PUBLIC_KEY)?;
    let mut pairs = Params::parse_form(NOTIFY_6_2.as_bytes())?;
    let sign = pairs.remove("sign").ok_or("sample has no sign")?;
    let canonical = CanonicalRules::sorted().build(&pairs)?;
    let verified = key.verify_sha256(pairs.clone(), canonical.as_bytes(), &sign)?;
    println!(
        "notify §6.2       : verified, orderId={} amount={} fen state={}",
        verified.get("orderId").unwrap_or_default(),
        verified.get("amount").unwrap_or_default(),
        verified.get("state").unwrap_or_default()
    );

    // 3. A forged amount must be refused.
    let mut forged = pairs;
    forged.set("amount", "100000");
    let canonical = CanonicalRules::sorted().build(&forged)?;
    match key.verify_sha256((), canonical.as_bytes(), &sign) {
        Err(e) => println!("forged amount     : refused ({e})"),
        Ok(_) => return Err("a forged notify verified".into()),
    }
    Ok(())
}
