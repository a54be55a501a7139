"""The benchmark's request bodies and the full policy's dictionary, generated
deterministically (the same bytes on every machine and every run).

Each body is an OpenAI chat request of a given size (2 KB, 32 KB, 256 KB) in
English or Chinese: a system prompt and a support conversation whose text is
filler prose without digits, plus the same realistic handful of findings spread
over it (an e-mail address, a PRC mobile number, a card number that passes Luhn,
an IPv4 address, a PRC resident ID, a project code name from the full policy's
dictionary, an employee number for its custom pattern). Bodies are UTF-8 JSON
with the Chinese unescaped, as current SDKs send it.

    python3 envoy/bench/bodies.py OUT_DIR    # writes chat-<size>k-<lang>.json
    python3 envoy/bench/bodies.py --dictionary envoy/bench/full-policy.json
        # (re)writes the 1,000 terms of the policy's project_codename dictionary,
        # leaving the rest of the policy as it is
"""

import json
import pathlib
import random
import sys

SIZES_KB = (2, 32, 256)
LANGS = ("en", "zh")
DICTIONARY_CATEGORY = "project_codename"
DICTIONARY_TERMS = 1000

# ----------------------------------------------------------------- identifiers


def luhn_complete(prefix, length):
    """`prefix` padded with zeros to `length` - 1 digits, plus its Luhn check digit."""
    digits = prefix.ljust(length - 1, "0")
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def resident_id(first17):
    """A PRC resident ID: 17 digits and their MOD 11-2 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(first17, weights))
    return first17 + "10X98765432"[total % 11]


def grouped(digits, size=4):
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


# ----------------------------------------------------------------- dictionary

_SYLLABLES = (
    "al", "bor", "cad", "dra", "el", "fen", "gar", "hol", "ist", "jor", "kel", "lum",
    "mar", "nex", "or", "pell", "quin", "ros", "sil", "tor", "ul", "vex", "wyn", "zar",
)
_NOUNS = (
    "falcon", "harbor", "lantern", "meadow", "quartz", "summit", "thicket", "willow",
    "beacon", "canyon", "ember", "glacier", "juniper", "orchid", "prairie", "tundra",
)


def dictionary_terms(count=DICTIONARY_TERMS):
    """`count` distinct made-up project code names, two words each (`borel falcon`)."""
    rng = random.Random(20260101)
    terms, seen = [], set()
    while len(terms) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        term = f"{word} {rng.choice(_NOUNS)}"
        if term not in seen:
            seen.add(term)
            terms.append(term)
    return terms


# ----------------------------------------------------------------- prose

_EN = (
    "Thanks for getting back to me so quickly about the renewal.",
    "The shipment left the warehouse on time but the tracking page still shows nothing.",
    "Could you summarise the contract terms in plain language for the finance team?",
    "We are migrating the reporting pipeline and need a checklist for the cutover weekend.",
    "Our customer says the invoice lists the wrong billing address and wants it corrected.",
    "Please draft a polite reply that explains the delay and offers a partial refund.",
    "The support queue doubled after the release, mostly questions about the new login page.",
    "I would like a short table comparing the three vendors on price, support and security.",
    "Rewrite the paragraph below so that it sounds less formal but keeps every fact.",
    "The meeting notes mention a risk with the data retention policy that nobody owns yet.",
    "Explain why the nightly job failed and what we should monitor to catch it earlier.",
    "Keep the answer short, the reader is an executive with five minutes between meetings.",
    "She asked whether the discount also applies to the annual plan or only to monthly billing.",
    "List the open questions from this thread and who is expected to answer each of them.",
    "The onboarding guide is out of date and refers to screens that no longer exist.",
    "Translate the customer's complaint into a neutral summary for the product team.",
)
_ZH = (
    "感谢您这么快回复关于续约的问题。",
    "货物已经按时出库，但物流页面至今没有任何更新。",
    "请用通俗的语言为财务团队总结一下合同条款。",
    "我们正在迁移报表系统，需要一份切换周末的检查清单。",
    "客户反映发票上的账单地址有误，希望尽快更正。",
    "请起草一封礼貌的回复，说明延误原因并提供部分退款。",
    "新版本发布后客服工单翻了一倍，大多是关于新登录页面的问题。",
    "请做一个简短的表格，从价格、服务和安全三个方面比较三家供应商。",
    "请改写下面这段话，语气轻松一些，但保留所有事实。",
    "会议纪要提到数据保留政策存在风险，目前还没有负责人。",
    "请解释夜间任务失败的原因，以及我们应该监控哪些指标以便尽早发现。",
    "回答请尽量简短，读者是一位在会议间隙只有五分钟的高管。",
    "她问折扣是否也适用于年付套餐，还是只适用于月付。",
    "请列出这个讨论中尚未解决的问题，以及每个问题应由谁来回答。",
    "入职指南已经过时，里面提到的页面早已不存在。",
    "请把客户的投诉整理成一段中立的摘要，交给产品团队。",
)
_SYSTEM = {
    "en": "You are a careful assistant for the customer support team. Answer in English.",
    "zh": "你是客服团队的助手，请认真、简洁地用中文回答。",
}


def finding_values():
    """The sensitive values every body carries, as they are written in it."""
    return {
        "email": "zhang.wei@example.com",
        "phone": "+86 138 0013 8000",
        "card": grouped(luhn_complete("4539148803", 16)),
        "unionpay": grouped(luhn_complete("6217002870", 19)),
        "ipv4": "203.0.113.42",
        "resident_id": resident_id("11010519491231002"),
        "codename": dictionary_terms()[7],
        "employee": "EMP-204817",
    }


def findings(lang):
    """The handful of sensitive values, each inside a sentence."""
    v = finding_values()
    if lang == "zh":
        return [
            f"请把收据发到 {v['email']}，谢谢。",
            f"如有问题请打我的手机 {v['phone']}。",
            f"扣款请用这张卡 {v['card']}，备用卡是 {v['unionpay']}。",
            f"报错来自服务器 {v['ipv4']}，请一并检查。",
            f"申请人身份证号是{v['resident_id']}。",
            f"这件事属于 {v['codename']} 项目，请勿外传。",
            f"经办人工号 {v['employee']}。",
        ]
    return [
        f"Please send the receipt to {v['email']} when it is ready.",
        f"If anything is unclear, call me on {v['phone']}.",
        f"Charge the card {v['card']}, or the backup card {v['unionpay']}.",
        f"The errors come from the server at {v['ipv4']}.",
        f"The applicant's resident ID is {v['resident_id']}.",
        f"This belongs to project {v['codename']}, keep it internal.",
        f"The case owner is employee {v['employee']}.",
    ]


def _paragraph(rng, lang, nbytes):
    """Filler sentences adding up to at most `nbytes` bytes of UTF-8."""
    pool = _ZH if lang == "zh" else _EN
    sep = "" if lang == "zh" else " "
    out, size = [], 0
    for _ in range(nbytes):  # bounded; stops at the first sentence that would not fit
        s = rng.choice(pool)
        if size + len(s.encode()) + len(sep) > nbytes:
            break
        out.append(s)
        size += len(s.encode()) + len(sep)
    return sep.join(out)


def _encode(body):
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def chat_body(size_kb, lang):
    """A chat request of about `size_kb` KiB (within a few bytes) in `lang`."""
    target = size_kb * 1024
    rng = random.Random(f"{size_kb}-{lang}")
    facts = findings(lang)
    sep = "" if lang == "zh" else " "
    # An odd number of turns, about 3 KB each in large bodies: the conversation
    # starts and ends with the user.
    turns = max(3, target // 3000 | 1)
    fixed = {
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "user": "support-agent-17",
        "metadata": {"ticket": "case-red-fox", "channel": "web"},
    }
    messages = [{"role": "system", "content": _SYSTEM[lang]}]
    # Spread the findings over the user turns: first, middle and last.
    user_turns = [i for i in range(turns) if i % 2 == 0] or [0]
    slots = {t: [] for t in user_turns}
    for k, fact in enumerate(facts):
        slots[user_turns[k * len(user_turns) // len(facts)]].append(fact)
    skeleton = dict(fixed, messages=messages + [{"role": "user", "content": ""}] * turns)
    per_turn = max(0, (target - len(_encode(skeleton)) - sum(len(f.encode()) + 1 for f in facts)) // turns)
    for i in range(turns):
        role = "user" if i % 2 == 0 else "assistant"
        text = _paragraph(rng, lang, per_turn)
        for fact in slots.get(i, []):
            # Findings inside the prose, not at its edges.
            cut = _sentence_cut(text, lang, rng)
            text = text[:cut] + fact + sep + text[cut:]
        messages.append({"role": role, "content": text})
    body = dict(fixed, messages=messages)
    return _fit(body, target, rng, lang)


def _sentence_cut(text, lang, rng):
    mark = "。" if lang == "zh" else ". "
    cuts = [i + len(mark) for i in range(len(text)) if text.startswith(mark, i)]
    return rng.choice(cuts) if cuts else 0


def _fit(body, target, rng, lang):
    """Pads the last assistant turn (no findings there) with filler past
    `target` bytes, then trims it back to exactly `target`. The filler needs no JSON escapes, so its UTF-8
    length is its length in the body."""
    filler = body["messages"][-2]
    missing = target - len(_encode(body))
    sep = "" if lang == "zh" else " "
    pool = _ZH if lang == "zh" else _EN
    for _ in range(missing):  # bounded: each sentence adds at least one byte
        if missing <= 0:
            break
        s = sep + rng.choice(pool)
        filler["content"] += s
        missing -= len(s.encode())
    excess = len(_encode(body)) - target
    text = filler["content"]
    while excess > 0 and text:
        excess -= len(text[-1].encode())
        text = text[:-1]
    filler["content"] = text + " " * max(0, -excess)  # a multi-byte cut's shortfall
    return _encode(body)


def write_all(out_dir, sizes=SIZES_KB, langs=LANGS):
    """Writes every body; returns {(size_kb, lang): path}."""
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for size in sizes:
        for lang in langs:
            path = out / f"chat-{size}k-{lang}.json"
            path.write_bytes(chat_body(size, lang))
            paths[(size, lang)] = path
    return paths


def write_dictionary(policy_path):
    """Sets the terms of the policy's `project_codename` dictionary (adding the
    dictionary if missing) and rewrites the file, terms packed several a line."""
    path = pathlib.Path(policy_path)
    policy = json.loads(path.read_text(encoding="utf-8"))
    dictionaries = policy.setdefault("detect", {}).setdefault("dictionaries", [])
    entry = next((d for d in dictionaries if d.get("category") == DICTIONARY_CATEGORY), None)
    if entry is None:
        entry = {"category": DICTIONARY_CATEGORY, "whole_words": True}
        dictionaries.append(entry)
    entry["terms"] = "@TERMS@"
    text = json.dumps(policy, indent=2, ensure_ascii=False)
    marker = '"terms": "@TERMS@"'
    indent = " " * (len(text[: text.index(marker)].rsplit("\n", 1)[-1]) + 2)
    terms = [json.dumps(term, ensure_ascii=False) for term in dictionary_terms()]
    lines = [", ".join(terms[i : i + 6]) for i in range(0, len(terms), 6)]
    packed = '"terms": [\n' + indent + (",\n" + indent).join(lines) + "\n" + indent[:-2] + "]"
    path.write_text(text.replace(marker, packed) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--dictionary":
        write_dictionary(sys.argv[2])
    elif len(sys.argv) == 2 and not sys.argv[1].startswith("-"):
        for (size, lang), path in write_all(sys.argv[1]).items():
            print(f"{path}  {path.stat().st_size} bytes")
    else:
        sys.exit(__doc__)
