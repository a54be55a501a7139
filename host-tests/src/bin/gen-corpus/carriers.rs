//! The sentences values are hidden in, in English and Chinese.

use crate::rng::Rng;

/// `{n}` is what the value is called, `{v}` the value.
const EN: &[&str] = &[
    "Hi, please update the {n} on my account to {v} before Friday's billing run.",
    "The customer wrote back: \"my {n} is {v}\". Can you work out why the order failed?",
    "Summarize this support ticket. Reporter: Dana Lee. {N}: {v}. Issue: refund not received after ten days.",
    "Translate into French: the {n} we have on file is {v}; please confirm it.",
    "Here is the log line from last night: level=error field=\"{n}\" value={v} retries=3",
    "Draft a polite reply confirming that we recorded {v} as the {n} for this case.",
    "Can you check whether {v} looks right as the {n}? It came in through the signup form.",
    "Extract every field from this note as JSON: name Chen Jie; {n} {v}; city Shanghai.",
];

/// Chinese sentences where spaces or punctuation stand around the value; each
/// ends in punctuation, as sentences are joined without spaces.
const ZH: &[&str] = &[
    "你好，请把我账户上的{n}更新为 {v} ，周五结算前处理一下。",
    "客户回复说：“我的{n}是 {v} ”，请帮忙查一下订单失败的原因。",
    "请总结这个工单。提交人：陈杰。{n}：{v}。问题：十天了还没收到退款。",
    "把下面这句翻译成英文：我们登记的{n}是 {v} ，请确认。",
    "这是昨晚的日志：level=error field={n} value={v} retries=3。",
    "帮我写一封回复，确认我们已把 {v} 记为本案的{n}。",
    "{v} 看起来像正确的{n}吗？是从注册表单里提交的。",
    "从这段备注中提取所有字段并输出JSON：姓名 陈杰；{n} {v}；城市 上海。",
];

/// Chinese sentences where the value touches Chinese characters on both sides.
const ZH_GLUED: &[&str] = &[
    "你好请把我账户上的{n}更新为{v}周五结算前处理一下",
    "客户说我的{n}是{v}请帮忙查一下订单失败的原因",
    "工单提交人陈杰留下的{n}是{v}十天了还没收到退款",
    "我们登记的{n}为{v}请确认",
    "帮我确认已把{v}记为本案的{n}",
    "提交人留下的{n}是{v}城市是上海",
];

const EN_AFTER: &[&str] = &[
    "",
    " Thanks in advance.",
    " We have 3 open tickets today.",
    " Reply in under 100 words.",
    " This is for ticket 4821.",
];
const ZH_AFTER: &[&str] = &[
    "",
    "谢谢！",
    "今天还有3个工单没处理。",
    "请用100字以内回答。",
    "这是第4821号工单。",
];

pub const SYSTEM_EN: &str = "You are a support assistant for an online shop.";
pub const SYSTEM_ZH: &str = "你是一家网店的客服助手。";

/// A sentence in `lang` ("en" or "zh") holding `value`, called `noun`.
pub fn sentence(lang: &str, glued: bool, noun: &str, value: &str, rng: &mut Rng) -> String {
    let (templates, after) = match (lang, glued) {
        ("zh", true) => (ZH_GLUED, ZH_AFTER),
        ("zh", false) => (ZH, ZH_AFTER),
        _ => (EN, EN_AFTER),
    };
    let capitalised: String = noun
        .chars()
        .take(1)
        .flat_map(char::to_uppercase)
        .chain(noun.chars().skip(1))
        .collect();
    let text = rng
        .pick(templates)
        .replace("{N}", &capitalised)
        .replace("{n}", noun)
        .replace("{v}", value);
    format!("{text}{}", rng.pick(after))
}

/// What a sentence calls a value of each category.
pub fn noun(category: &str, lang: &str) -> &'static str {
    let (en, zh) = match category {
        "email" => ("email address", "邮箱"),
        "phone" => ("phone number", "手机号"),
        "cn_resident_id" => ("ID card number", "身份证号"),
        "cn_credit_code" => ("unified social credit code", "统一社会信用代码"),
        "us_ssn" => ("SSN", "美国社保号"),
        "passport" => ("travel document", "证件"),
        "national_id" => ("identity card number", "身份证件号码"),
        "date_of_birth" => ("customer record", "客户资料"),
        "payment_card" => ("card number", "银行卡号"),
        "iban" => ("IBAN", "IBAN账号"),
        "bank_account" => ("payee details", "收款信息"),
        "ipv4" => ("server IP", "服务器IP"),
        "ipv6" => ("IPv6 address", "IPv6地址"),
        "openai_key" => ("OpenAI API key", "OpenAI密钥"),
        "anthropic_key" => ("Anthropic API key", "Anthropic密钥"),
        "aws_access_key" => ("AWS access key ID", "AWS访问密钥"),
        "github_token" => ("GitHub token", "GitHub令牌"),
        "slack_token" => ("Slack bot token", "Slack令牌"),
        "google_api_key" => ("Google Maps API key", "谷歌地图密钥"),
        "stripe_key" => ("Stripe secret key", "Stripe密钥"),
        "private_key" => ("deploy private key", "部署私钥"),
        "jwt" => ("session token", "会话令牌"),
        "credential" => ("database login", "数据库登录信息"),
        _ => ("value", "值"),
    };
    if lang == "zh" {
        zh
    } else {
        en
    }
}
