//! Credential detector tests: values found, texts left alone, and the
//! bounded reads on hostile repeats.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crate::detect::testing::find;

/// Asserts no text holds a credential (other findings may stand).
#[track_caller]
fn expect_no_credential(texts: &[&str]) {
    for text in texts {
        let found = find(text);
        assert!(
            found.iter().all(|(category, _)| category != "credential"),
            "in {text:?}: {found:?}"
        );
    }
}

/// (text, the value found); every other finding in the text is ignored.
const FOUND: &[(&str, &str)] = &[
    // URLs: the password only; user, host and path stay.
    ("DATABASE_URL=postgres://app:S3cr3t!x@db.internal:5432/orders", "S3cr3t!x"),
    ("redis://:hunter22@cache:6379/0", "hunter22"),
    ("https://x-access-token:gho_notreally123@github.example/org/repo.git", "gho_notreally123"),
    ("amqp://svc:p@ss:w0rd@mq.example.cn/vhost", "p@ss:w0rd"),
    ("mongodb+srv://admin:Tr0ub4dor@cluster0.example.net/?retryWrites=true", "Tr0ub4dor"),
    // Assignments, as code, .env files, YAML and JSON write them.
    ("DB_PASSWORD=letmein", "letmein"),
    ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("password = \"correct horse battery staple\"", "correct horse battery staple"),
    ("{\"username\": \"ops\", \"password\": \"Winter2024!\"}", "Winter2024!"),
    ("spring:\n  datasource:\n    password: letmein\n", "letmein"),
    ("client_secret: 8Q~xYz.AbCdEfGhIjKlMnOpQrStUv", "8Q~xYz.AbCdEfGhIjKlMnOpQrStUv"),
    ("x-api-key: 3f9a1c77e0b24d5f", "3f9a1c77e0b24d5f"),
    ("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9vYmFyYmF6cXV4+/==;EndpointSuffix=core.windows.net", "Zm9vYmFyYmF6cXV4+/=="),
    ("curl 'https://api.example.com/v1/items?limit=5&access_token=EAAB1x2y3z4w' -s", "EAAB1x2y3z4w"),
    ("pw := \"x\"; db_pwd := \"S3cure\"", "S3cure"),
    ("SMTP_PASS='m41l-s3rv3r'", "m41l-s3rv3r"),
    ("My password: Tr1cky-0ne, please keep it safe", "Tr1cky-0ne"),
    ("[database]\npassword = s3cr3t\n", "s3cr3t"),
    ("[client]\nuser = root\npassword = letmein\nport = 3306\n", "letmein"),
    ("spring.datasource.password = changeme", "changeme"),
    ("{user: app, password: Hunter2, port: 5432}", "Hunter2"),
    ("mysql -u root --password=hunter22 orders", "hunter22"),
    ("String password = \"letmein\";", "letmein"),
    ("The Redis password is set: REDIS_PASSWORD=Tr1cky-0ne.", "Tr1cky-0ne"),
    // Authorization: the credentials, not the scheme.
    ("-H \"Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\"", "YWxhZGRpbjpvcGVuc2VzYW1l"),
    ("Authorization: Bearer 4f1c2a9e-77b0-4c1d-9e2f-5a6b7c8d9e0f", "4f1c2a9e-77b0-4c1d-9e2f-5a6b7c8d9e0f"),
    // A setting's value next to its name: Kubernetes, ECS, .NET, Ant.
    ("env:\n  - name: DB_PASSWORD\n    value: letmein\n  - name: LOG_LEVEL\n    value: debug", "letmein"),
    ("\"environment\": [{\"name\": \"STRIPE_API_KEY\", \"value\": \"rk9Xa7Qm2Lp4\"}]", "rk9Xa7Qm2Lp4"),
    ("<add key=\"DbPassword\" value=\"Summer#2024\" />", "Summer#2024"),
    ("<property name=\"db.password\" value=\"letmein\"/>", "letmein"),
    ("env {\n  name  = \"API_TOKEN\"\n  value = \"tk_8d7f6e5c4b3a\"\n}", "tk_8d7f6e5c4b3a"),
    // XML elements named for a credential, or keyed by one.
    ("<server><id>nexus</id><username>ci</username><password>letmein</password></server>", "letmein"),
    ("<wsse:Password Type=\"http://docs.oasis-open.org/wss#PasswordText\">Tr0ub4dor&amp;3</wsse:Password>", "Tr0ub4dor&amp;3"),
    ("<entry key=\"db.password\">s3cr3t-pw</entry>", "s3cr3t-pw"),
    ("<ClientSecret>\n  8Q~xYz.AbCdEfGhIjKlMn\n</ClientSecret>", "8Q~xYz.AbCdEfGhIjKlMn"),
    // `pwd` and `pass` alone in a connection string or a query.
    ("Server=db01;Database=Ledger;Uid=sa;Pwd=Gr33n!Tea;Encrypt=yes", "Gr33n!Tea"),
    ("https://legacy.example.cn/login?user=ops&pass=letmein&lang=zh", "letmein"),
    // curl's user and password.
    ("curl -u alice:S3cret-pw https://api.example.com/v1/items", "S3cret-pw"),
    ("curl -s \\\n  --user 'ops@example.com:letmein' https://api.example.com", "letmein"),
    // Oracle's connect strings.
    ("sqlplus scott/tiger@orcl", "tiger"),
    ("url=jdbc:oracle:thin:app_user/S3cret!x@//db.internal:1521/ORCLPDB1", "S3cret!x"),
    ("SQL> CONNECT system/Manager1@prod", "Manager1"),
    ("expdp hr/hr_pw@pdb1 directory=dp_dir", "hr_pw"),
    ("conn = cx_Oracle.connect(\"app/Tr0ub4dor@db-host/svc\")", "Tr0ub4dor"),
    // A password given to a flag.
    ("mysql -h db.internal -u root -pS3cret-pw orders", "S3cret-pw"),
    ("mysqldump -uroot -p'Tr0ub4dor&3' ledger > ledger.sql", "Tr0ub4dor&3"),
    ("sshpass -p hunter22 ssh ops@bastion", "hunter22"),
    // A password's name in capitals needs no separator.
    ("DBPASS=S3cretPw", "S3cretPw"),
    ("export MYSQLPASS=hunter22", "hunter22"),
    ("ROOTPWD=Tr0ub4dor", "Tr0ub4dor"),
    ("MAXPASS=letmein2", "letmein2"),
    // A password stated in a sentence, found from its digits.
    ("the password is Summer2024! can you help", "Summer2024!"),
    ("I changed my password to Tr0ub4dor&3 yesterday", "Tr0ub4dor&3"),
    ("The new password for the service account is Xk29#pLq.", "Xk29#pLq"),
    ("the password for svc_orders on mq.example.cn is a3BQsuWLc^68", "a3BQsuWLc^68"),
    ("VPN user jdoe password Winter2025! does not work", "Winter2025!"),
    ("machine api.example.com login alice password s3cr3tpw", "s3cr3tpw"),
    ("mysql --password S3cret -u root", "S3cret"),
    ("my password is now 'hunter22', sorry", "hunter22"),
    ("pw: hunter2x", "hunter2x"),
    ("the password is Pa55@w0rd.x1", "Pa55@w0rd.x1"),
    ("my password is now P@ss.w0rd", "P@ss.w0rd"),
    ("my API key is 3f9a1c77e0b24d5f, please rotate it", "3f9a1c77e0b24d5f"),
    ("the access token for the staging tenant is eyTk29aLq8Zm", "eyTk29aLq8Zm"),
    ("API key: 7d2e9a41b0c3f5e8", "7d2e9a41b0c3f5e8"),
    ("the DB_PASSWORD for prod is now Gr33n-Tea", "Gr33n-Tea"),
    ("服务的令牌是a8f3k29dm4x7", "a8f3k29dm4x7"),
    ("my PIN is 4829, please reset it", "4829"),
    ("PIN: 0000", "0000"),
    ("the PIN for my debit card is 123456", "123456"),
    ("the password we gave you is Kx82mQ!z", "Kx82mQ!z"),
    ("the wifi password is P@ssword!", "P@ssword!"),
    ("my new passphrase is s3cr@t", "s3cr@t"),
    ("The API key that I created is 9c1f4e7a2b6d", "9c1f4e7a2b6d"),
    ("please set the password to Blue42sky", "Blue42sky"),
    ("I reset my mail password to Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("changed the email password to Gr33nTea!", "Gr33nTea!"),
    ("set my text password to Zq81!rrw", "Zq81!rrw"),
    // A PIN by its name in settings and code: `pin`, or after a separator.
    ("{\"card_pin\": \"482913\"}", "482913"),
    ("ATM_PIN=7391", "7391"),
    ("{\"door_passcode\": \"Tr0ub4dor\"}", "Tr0ub4dor"),
    ("PASSCODE=8675309", "8675309"),
    ("sim.pin: 1234", "1234"),
    ("pin = 90210", "90210"),
    ("the card_pin for my Visa is 5521", "5521"),
    ("Passcode 482913 for the door", "482913"),
    // A card's security code: by its name, three or four digits.
    ("card 4111 1111 1111 1111 exp 12/27 cvv 123", "123"),
    ("CVV: 847", "847"),
    ("CVV2 847", "847"),
    ("cvc2: 0417", "0417"),
    ("{\"card_cvc\": \"0417\"}", "0417"),
    ("{\"cvv\": 847}", "847"),
    ("{\"card_security_code\": \"0417\"}", "0417"),
    ("security code 847", "847"),
    ("the card security code: 903", "903"),
    ("my CVV is 847", "847"),
    ("CARD_CVV=847", "847"),
    ("卡背面安全码：847", "847"),
    ("安全码是 847", "847"),
    ("密码是abc12345", "abc12345"),
    ("口令改为 Passw0rd!", "Passw0rd!"),
    ("数据库的密码已改成qwe123456了", "qwe123456"),
    // Chinese names, with a full-width colon.
    ("数据库密码：Abc12345，别外传", "Abc12345"),
    ("服务器口令: qwe!@#123", "qwe!@#123"),
];

#[test]
fn finds_the_value() {
    for &(text, value) in FOUND {
        let found = find(text);
        assert!(
            found.contains(&("credential".to_string(), value.to_string())),
            "in {text:?}: {found:?}"
        );
    }
}

#[test]
fn leaves_what_holds_no_credential() {
    expect_no_credential(&[
        // A code's name over what no card code is: too short or long, a
        // building's code, an HTTP status, a word.
        "CVV: 12",
        "cvv 84712",
        "the door code 1234",
        "status code 404",
        "security code: required",
        "the CVV field is 3 digits",
        "cvv_length = 3",
        "{\"cvv\": \"***\"}",
        // Look-ups, placeholders, masks and types.
        "password: ${DB_PASSWORD}",
        "PASSWORD=$DB_PASSWORD",
        "password = os.environ[\"DB_PASSWORD\"]",
        "password=getenv(\"PW\")",
        "password: settings.database.password",
        "password = user_password",
        "api_key = API_KEY",
        "token = next_token",
        "username, password = split",
        "def login():\n    password = pwd\n    password = user_pw\npassword = user_pw\n",
        "x = 1; password = pwd\npassword = pwd + salt\n",
        "index_url, _, index_url_user_password = index_info",
        "password = \":****\"",
        "'http://username:password@host.com:80/path'",
        "help=\"a proxy as scheme://[user:passwd@]proxy.server:port\"",
        "def ask(password: bool = False, token: int = 0):",
        "fn append(&mut self, token: TokenTree);",
        "struct Login {\n    password: SecretString,\n}",
        "cargo dev new_lint --name=foo --pass=late",
        "DEVSTAT_TYPE_PASS = 0x100,",
        "pub paren_token: token::Paren, pub log_passwd: __u32,",
        "pub const IORING_MSG_RING_FLAGS_PASS: u32 = 2;",
        "NL80211_ATTR_SAE_PASSWORD = 277,",
        "fn get(dwsizeofpassword: u32, szpassword: windows_sys::core::PCWSTR)",
        "{token:\"storage.type.source.rust\",regex:\"x\"}",
        "f.onMatch=this.$applyToken:f.onMatch=f.token,a.token=a.token+\".start\"",
        "struct Login {\n    password: Option<String>,\n    token: &str,\n}",
        "password: Optional[str] = None",
        "\"password\": \"<your password here>\"",
        "password: ****",
        "password=xxxxxxxx",
        "\"password\": null",
        "password: string",
        "postgres://app:${PGPASSWORD}@db/orders",
        "postgres://app:****@db/orders",
        // Comparisons and prose.
        "if password == confirm:",
        "value=if password == confirm_password: retries=3",
        "if (password != other) {",
        "The password: forgotten, so reset it.",
        "Reset sent. Password: unknown",
        "token: expired",
        "the secret: patience",
        "api_key: missing",
        "max_tokens=512",
        "bypass=enabled",
        "PWD=/home/ops",
        "token_type: bearer",
        // Names that end like a password's and name something else.
        "%admin ALL=(ALL) NOPASSWD: ALL\nops ALL=(root) NOPASSWD: /usr/bin/systemctl",
        "permit nopass: keepenv; BYPASS=yes; XPASS=3; OLDPWD=/home/ops; COMPASS=north",
        "db_pass_hint=first-pet; mypass=hunter22; GIT_ASKPASS: 'echo'; SSH_ASKPASS=/usr/bin/ksshaskpass",
        // Sentences about passwords that state none.
        "the password is 12 characters long",
        "password must be 8 characters or more, with 2 digits",
        "my password expired on 2024-01-05 and again in 2025",
        "the password policy v2.3 was rolled out in 2024",
        "the reset link for your password is https://example.com/r/abc123",
        "the password is ${DB_PASSWORD2} from the vault",
        "the password is 123, too short",
        "Version 2024.10 is the password manager release",
        "这个密码是错的，请在10分钟后重试",
        "password strength: 3 of 4; pw_hash: 5f4dcc3b5aa7",
        "apt\tpasswd\t1:4.13+dfsg1-1+deb12u1\nii  passwd  1:4.13+dfsg1-1 amd64",
        "the password module is v2.3.1-rc1",
        "secretKeyRef:\n  key: password retries=3 max_wait=30s",
        "the token budget is 100000000; token count is 12345678; the secret is 42",
        "the password manager is 1Password7 and the house key is 7",
        "the password is @admin's to keep; reach the password desk at @it-help",
        "send the password to bob123; I emailed my new password to ops2024 and gave the token to svc_ci9",
        "struct X {\n    pub Token: D3DKMT_PRESENTHISTORYTOKEN_0,\n}",
        "connect the LED to pin 13; pin 1 of the header; PIN: ****; the pin is 2.54mm",
        "PIN 12345678901234 is no PIN; my pin was a2b3c4d5",
        "pin: 13\nled_pin = 2\nspin=1000\nmapin: 4096\npin_memory: 1024",
        "{\"pin\": \"v1.2.3\", \"cert_pin\": \"sha256/AAAAbbbbCCCC\", \"pincode\": 560001}",
        // Settings, elements and flags that hold no credential.
        "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db",
        "- name: DB_PASSWORD\n  value: $(DB_PASSWORD_FROM_VAULT)",
        "{\"name\": \"LOG_LEVEL\", \"value\": \"debug\"}",
        "{\"username\": \"API_TOKEN\", \"value\": \"abc\"}",
        "{\"name\": \"session_token\", \"value\": \"short\"}",
        "<input name=\"password\"> Remember me</label>",
        "<password></password><password>${DB_PW}</password>",
        "<token>word</token> <Token>Hello</Token>",
        "List<Token> tokens = new List<Token>(); let f = |x| x -> y => z;",
        "<add key=\"Theme\" value=\"dark\" />",
        "<string name=\"error_invalid_password\">This password is too short</string>",
        "<string name=\"label_password\">Passwort</string><string name=\"prompt_password\">Password</string>",
        "cd /srv; PWD=/srv/app; bypass=1",
        "docker run -u app:staff image; git push -u origin main:main",
        "curl -u alice: https://x; curl -u $USER:$PASS https://y",
        "curl -u root:root http://localhost:8080",
        "sqlplus / as sysdba; sqlplus user/password@db; sqlplus $U/$PW@db",
        "mysql -u root -p orders; mysql -p$MYSQL_PWD; grep -print x; ssh -p 2222 host",
        "mkdir -p build; cd x && mysql -u r; ls -pla; cp -pr a b",
        "see src/main@v2 and git clone git@github.com:org/repo; regexp a/b@c",
        // URLs without a password.
        "https://ops@example.com/path",
        "https://example.com:8443/a?b=c",
        "see http://[2001:db8::1]:80/ and mailto:ops@example.com",
        // Authorization without credentials.
        "Authorization: Bearer",
        "Authorization: Bearer <token>",
    ]);
}

#[test]
fn a_secret_of_known_shape_keeps_its_name() {
    let key = format!("sk-proj-{}", "A1b2C3d4E5".repeat(6));
    for text in [
        format!("Session token: {key}. Thanks."),
        format!("OPENAI_API_KEY={key}"),
        format!("{{\"api_key\": \"{key}\"}}"),
        format!("Authorization: Bearer {key}"),
    ] {
        assert_eq!(
            find(&text),
            vec![("openai_key".to_string(), key.clone())],
            "{text}"
        );
    }
    // A value that merely holds a number is a credential whole.
    assert_eq!(
        find("DB_PASSWORD=pw-13812345678"),
        vec![("credential".to_string(), "pw-13812345678".to_string())]
    );
}

#[test]
fn the_scan_resumes_after_a_url_password() {
    // The host's address is still found; the `@` is not read as an e-mail.
    let found = find("postgres://app:pw-1234@10.20.30.40:5432/db");
    assert_eq!(
        found,
        vec![
            ("credential".to_string(), "pw-1234".to_string()),
            ("ipv4".to_string(), "10.20.30.40".to_string()),
        ]
    );
}

#[test]
fn an_oracle_password_is_no_e_mail_and_an_e_mail_stays_one() {
    assert_eq!(
        find("sqlplus scott/t1ger@db.example.com; CONNECT ann@example.com"),
        vec![
            ("credential".to_string(), "t1ger".to_string()),
            ("email".to_string(), "ann@example.com".to_string()),
        ]
    );
}

#[test]
fn names_and_operators_over_and_over() {
    // Each look is bounded (the hostile inputs of `customs bench-detect`
    // time it); here the bounded looks must still read such text right.
    let text = "password=\"\n".repeat(20_000);
    assert!(find(&text).is_empty());
    let text = format!("password=\"{}\"", "a".repeat(1000));
    assert!(find(&text).is_empty(), "a quote closed past the bound");
    // A run past the bound is judged on its first bytes (here a
    // setting with an `=` inside, refused at every `=`), never read to
    // its end only to be refused.
    let text = "token=".repeat(20_000);
    assert!(find(&text).is_empty());
    let text = format!("DB_PASSWORD={}", "Ab1".repeat(1000));
    assert_eq!(
        find(&text),
        vec![("credential".to_string(), "Ab1".repeat(1000))]
    );
    let text = "a://b:c".repeat(20_000);
    assert!(find(&text).iter().all(|(c, _)| c != "credential"));
    // Tags, settings and flags: each look stops at the bound or at the
    // previous tag, and what is found is still found.
    for hostile in [
        "<password>".repeat(20_000),
        format!("<a b=\"{}\">", "c".repeat(300)).repeat(200),
        "x->y=>".repeat(20_000),
        "name: DB_PASSWORD\nvalue: \n".repeat(10_000),
        "curl -u a: ".repeat(10_000),
        ";Pwd=;pass=".repeat(10_000),
        "sqlplus a/".repeat(10_000) + "@",
        "mysql x -p$A ".repeat(10_000),
        format!("{} -pS3cret", "x ".repeat(10_000)),
        format!("sqlplus a/{}@", "b".repeat(100)).repeat(1_000),
        "password is 1a ".repeat(10_000),
        "is is is is is is 1a2b3c4d ".repeat(5_000),
        format!("password {}1", "x".repeat(30)).repeat(1_000),
        "密码是 12 ".repeat(10_000),
    ] {
        assert!(
            find(&hostile).iter().all(|(c, _)| c != "credential"),
            "{}",
            &hostile[..40]
        );
    }
    let text = "<password>letmein</password>".repeat(1_000);
    assert_eq!(find(&text).len(), 1_000);
    let text = "the password is now x1y2z3w4 ".repeat(1_000);
    assert_eq!(find(&text).len(), 1_000);
    let text = "密码是Abc12345，".repeat(1_000);
    assert_eq!(find(&text).len(), 1_000);
}

#[test]
fn an_address_after_a_password_sentence_stays_an_e_mail() {
    let found = find("your new password will be sent to user1234@example.com today");
    assert_eq!(
        found,
        vec![("email".to_string(), "user1234@example.com".to_string())]
    );
}
