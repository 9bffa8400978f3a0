# ruff: noqa: RUF001  (the rules match typographic and CJK punctuation on purpose)
"""The cleaner's rules, as data.

Two kinds: ``DomRule`` (what the selectolax pass drops before extraction, matched by CSS selector,
by whole words of an element's class / id, or by its whole text) and ``LineRule`` (what the text
pass drops or trims after extraction, matched by regular expression on one line of text).
Rule names are what ``Removal.rule`` records, so an operator can trace every removal to a row here.

Adding a rule is adding a row; the code in ``prune`` and ``text`` does not change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = [
    "AD_LABELS",
    "CARD_BLOCK",
    "CARD_TIME",
    "CONTENT_BLOCKS",
    "DOM_RULES",
    "LINE_RULES",
    "SENTENCE_CUES",
    "SENTENCE_RULES",
    "STRIP_SELECTORS",
    "WORD_ATTRIBUTES",
    "CardShape",
    "DomRule",
    "LineRule",
    "icon_names",
]


@dataclass(frozen=True, slots=True)
class DomRule:
    """Drop elements that match ``selectors`` or carry one of ``words`` in their class or id.

    ``words`` are regular expressions matched against whole hyphen/underscore-separated parts of
    each class or id token (``related`` matches ``related-posts`` and ``jp_related`` but not
    ``unrelated``). ``max_chars`` limits the rule to small elements (glyphs, labels); ``glyph``
    to elements whose text is at most one word (``<i class="x">in italics</i>`` is emphasis).
    """

    name: str
    selectors: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    max_chars: int | None = None
    glyph: bool = False


@dataclass(frozen=True, slots=True)
class LineRule:
    """Drop a whole line of extracted text that ``pattern`` matches in full (case-insensitive).

    ``cues`` (lowercase) gate rules whose patterns scan the whole line: the rule only runs on
    lines that contain one of them. Every match of the pattern must contain a cue.
    """

    name: str
    pattern: re.Pattern[str]
    max_chars: int = 200
    source: str = ""
    cues: tuple[str, ...] = ()


def _line(
    name: str, *alternatives: str, max_chars: int = 200, cues: tuple[str, ...] = ()
) -> LineRule:
    body = "|".join(f"(?:{a})" for a in alternatives)
    pattern = re.compile(rf"^\W*(?:{body})\W*$", re.IGNORECASE)
    return LineRule(name, pattern, max_chars, body, cues)


# Attributes whose words name a widget. Sites built with CSS-in-JS have hashed class names
# (``css-sh4r3b``) and say what an element is only in ``data-testid`` and friends.
WORD_ATTRIBUTES = ("class", "id", "data-testid", "data-component")

# Removed with their content before anything else: never article text. JSON-LD stays: the
# extractor reads it (a DiscussionForumPosting makes the posts content, not comments).
STRIP_SELECTORS = (
    'script:not([type="application/ld+json" i])',
    "style",
    "iframe",
    "object",
    "embed",
    "canvas",
    "dialog",
    "select",
    "option",
    "input",
    "textarea",
    "svg",
    # The head's links and metas are read before the pass (metadata) and never by the extractor;
    # dropping them saves it a tenth of its tree.
    "head > link",
    "head > meta",
    "head > noscript",
)

# Class words are matched on hyphen/underscore-separated parts, so "icon" covers "icon-share",
# "share-icon" and "c-icon--small", and "fa" covers Font Awesome's "fa-twitter".
_ICON_WORDS = (
    r"material-icons(?:-\w+)?",
    r"material-symbols(?:-\w+)?",
    r"material-design-icon",
    r"icons?",
    r"ico",
    r"fa[srlbdk]?",
    r"fa-(?:solid|regular|brands|light|thin)",
    r"glyphicons?",
    r"bi",
    r"dashicons",
    r"ionicons?",
    r"octicon",
    r"lucide",
    r"feather",
    r"svg-inline--fa",
    r"emoji",
)

DOM_RULES: tuple[DomRule, ...] = (
    DomRule(
        "dom:icon-font",
        selectors=("i[class]", '[aria-hidden="true"]', "[data-icon]"),
        words=_ICON_WORDS,
        max_chars=40,
        glyph=True,
    ),
    DomRule(
        "dom:skip-link",
        selectors=('a[href="#main"]', 'a[href="#content"]', 'a[href="#main-content"]'),
        words=(r"skip-?links?", r"skip-to(?:-\w+)*", r"screen-reader-shortcut"),
        max_chars=60,
    ),
    DomRule(
        "dom:share-bar",
        words=(
            r"share",
            r"shares",
            r"sharing",
            r"sharebar",
            r"sharetools",
            r"share\w*buttons?",
            r"sharedaddy",
            r"addtoany",
            r"a2a",
            r"a2a-kit",
            r"shareaholic",
            r"sharethis",
            r"shariff",
            r"social",
            r"socials",
            r"social\w*(?:share|links|icons|buttons|bar|media)",
        ),
    ),
    DomRule(
        "dom:related",
        words=(
            r"related",
            r"relatedposts",
            r"related\w*(?:articles|posts|stories|content|links)",
            r"recommended",
            r"recommendations?",
            r"trending",
            r"most-?(?:popular|read|viewed)",
            r"popular",
            r"more-?from",
            r"more-?stories",
            r"more-?news",
            r"also-?read",
            r"you-?may-?like",
            r"you-?might-?like",
            r"taboola",
            r"outbrain",
            r"recirc\w*",
            r"yarpp",
            r"crp",
            r"read-?next",
            r"up-?next",
            r"next-?article",
        ),
    ),
    DomRule(
        "dom:newsletter",
        words=(
            r"newsletters?",
            r"newsletter\w+",
            r"subscribe",
            r"subscription",
            r"subscribe\w+",
            r"signup",
            r"sign-up",
            r"mailchimp",
            r"mc4wp",
            r"optin",
            r"opt-in",
            r"email-?capture",
        ),
    ),
    DomRule(
        "dom:cookie-banner",
        words=(
            r"cookies?",
            r"cookie\w+",
            r"consent",
            r"gdpr",
            r"cmp",
            r"onetrust",
            r"cookiebot",
            r"borlabs",
            r"cmplz",
            r"cc-?banner",
            r"cc-window",
            r"privacy-?banner",
            r"usercentrics",
        ),
    ),
    DomRule(
        "dom:comments",
        words=(
            r"comments",
            r"comment-?(?:form|respond|list|area|section)",
            r"commentform",
            r"respond",
            r"disqus(?:-?thread)?",
        ),
    ),
    DomRule(
        "dom:video-carousel",
        words=(
            r"video-?(?:carousel|playlist|rail|list|strip|shelf|widget|module|gallery)",
            r"videos",
            r"playlist",
            r"jwplayer",
            r"jw-?player",
        ),
    ),
    DomRule(
        "dom:ad-slot",
        selectors=("[data-ad-slot]", "[data-ad-unit]"),
        words=(
            r"ad",
            r"ads",
            r"adv",
            r"advert\w*",
            r"adsbygoogle",
            r"adslot",
            r"adunit",
            r"dfp",
            r"google-?ad\w*",
            r"teads",
            r"outstream",
            r"sponsor\w*",
            r"promo",
        ),
    ),
    DomRule(
        "dom:breadcrumb",
        selectors=('[itemtype*="BreadcrumbList"]', '[aria-label*="breadcrumb" i]'),
        words=(r"breadcrumbs?", r"crumbs?"),
    ),
    DomRule(
        "dom:toc",
        words=(r"toc", r"ez-toc\w*", r"table-?of-?contents", r"lwptoc", r"toc-?container"),
    ),
    DomRule(
        "dom:follow-prompt",
        words=(r"follow-?(?:topics?|authors?|us|button|buttons|bar)", r"follows"),
    ),
    DomRule(
        "dom:navigation",
        selectors=("nav", '[role="navigation"]', "body > header", "footer"),
        words=(
            r"nav",
            r"navbar",
            r"menu",
            r"masthead",
            r"site-?header",
            r"site-?footer",
            r"sidebar",
        ),
    ),
    DomRule(
        "dom:print-only",
        words=(r"sr-only", r"visually-?hidden", r"screen-?reader(?:-\w+)?", r"print-only"),
        max_chars=80,
    ),
)


@dataclass(frozen=True, slots=True)
class CardShape:
    """A recommendation block told by its shape, in any language (issue 12): a short heading,
    then at least ``min_cards`` sibling cards of one tag and class (or the items of the one list
    after the heading), each short, and each a link or holding a link, an image or a time (a
    video's duration, an age such as "3h ago"): "Keep reading", "Watch next", "Más noticias",
    "Nos vidéos" over thumbnail / title / time or duration / title / channel / blurb cards.
    Prose is never a card: a card of more than ``max_card_words`` words is an entry or an answer.
    Nor is a word or two: a card carries a headline, and a list of single linked words under a
    heading is a recipe's utensils or a tag list (backen.de on the extraction benchmark).
    """

    max_heading_chars: int = 60
    min_cards: int = 2
    max_card_chars: int = 220
    min_card_words: int = 4
    max_card_words: int = 30
    headings: tuple[str, ...] = ("h2", "h3", "h4", "h5", "h6")


CARD_BLOCK = CardShape()


# Whole text of a small element that labels an ad slot, in the languages we serve.
AD_LABELS: tuple[str, ...] = (
    "advertisement",
    "advertising",
    "ad",
    "ads",
    "sponsored",
    "sponsored content",
    "paid content",
    "story continues below advertisement",
    "article continues below advertisement",
    "continue reading below",
    "anzeige",
    "werbung",
    "publicidad",
    "publicité",
    "publicite",
    "pubblicità",
    "publicidade",
    "реклама",
    "广告",
    "廣告",
    "広告",
    "スポンサーリンク",
)

# Blocks that are article content even though their markup looks like widgets (collapsed FAQ
# accordions, key-takeaway asides). Their hidden parts are shown and their wrappers unwrapped so
# that trafilatura does not drop them as hidden or as <aside>.
CONTENT_BLOCKS: tuple[str, ...] = (
    '[itemtype*="FAQPage"]',
    '[itemtype*="schema.org/Question"]',
    '[class*="faq" i]',
    '[id*="faq" i]',
    '[data-testid*="faq" i]',
    '[data-testid*="takeaway" i]',
    '[class*="takeaway" i]',
    '[class*="key-points" i]',
    '[class*="keypoints" i]',
    '[class*="highlights" i]',
    '[class*="tldr" i]',
    '[class*="accordion" i]',
    '[class*="summary" i]',
    "details",
)

_SHARE = (
    r"share(?: (?:this|the|on|via|to|article|story|post|page|link))*",
    r"share (?:on|via) \w+(?: \w+)?",
    r"tweet(?: this)?",
    r"email this",
    r"copy link",
    r"link copied",
    r"分享(?:到|至)?.{0,12}",
    r"转发",
    r"轉發",
    r"compartir(?: en \w+)?",
    r"compártelo",
    r"partager(?: sur \w+)?",
    r"partagez",
    r"teilen(?: auf \w+)?",
    r"artikel teilen",
    r"beitrag teilen",
    r"compartilhar(?: no \w+)?",
    r"compartilhe",
    r"partilhar",
    r"シェア(?:する)?",
    r"共有(?:する)?",
    r"この記事をシェア",
    r"поделиться(?: в \w+)?",
    r"поделитесь",
)
_READ_TIME = (
    r"\d+\s*(?:-\s*)?(?:min|mins|minutes?)(?:\s+read|\s+reading(?: time)?)",
    r"(?:reading time|read time|lesezeit|tiempo de lectura|temps de lecture|tempo de leitura)"
    r"\W*\d+\s*\w*",
    r"\d+\s*min(?:utos?|utes?)?\s*(?:de lectura|de lecture|de leitura|lesezeit|lesen)",
    r"阅读\s*\d+\s*分钟",
    r"\d+\s*分钟(?:阅读|读完)",
    r"閱讀\s*\d+\s*分鐘",
    r"\d+\s*分で読めます",
    r"読了(?:時間)?\s*\d+\s*分",
    r"\d+\s*мин(?:уты?|ут)?\.?\s*(?:чтения|на чтение)",
    r"(?:ten tekst )?przeczytasz w .{1,30}",
    r"czas czytania\W*\d+\s*\w*",
    r"(?:tempo di lettura|lettura)\W*\d+\s*min\w*",
    r"\d+\s*min(?:uti)? di lettura",
)
_AGO = (
    r"\d+\s*(?:s|m|h|d|w|mo|y|sec|secs|min|mins|hr|hrs|hours?|days?|weeks?|months?|years?)\s*ago",
    r"(?:just now|yesterday)",
    r"\d+\s*(?:秒|分钟|小时|天|周|个月|年)前",
    r"(?:刚刚|昨天|前天)",
    r"hace \d+\s*\w+",
    r"il y a \d+\s*\w+",
    r"vor \d+\s*\w+",
    r"há \d+\s*\w+",
    r"\d+\s*(?:秒|分|時間|日|週間|か月|年)前",
    r"\d+\s*\w+ назад",
    # A bare age after a source name on aggregator cards ("Mining Weekly · 2h"); only ever a
    # part of a whole-line byline match, never a line's only word.
    r"\d{1,2}\s?(?:h|hrs?|min|mins|d)",
)
# What an AI note is made of, per language: the names of AI, the verbs of making a text, and
# the nouns a page uses for itself. A sentence that names itself, a making verb and AI is a note
# about how the page was made, not news (issue 12), whatever the wording.
_AI_SHORT = r"ai|a\.i\.|ki|ia|ии"
_AI_NAMES = (
    rf"\b(?:{_AI_SHORT})\b|artificial intelligence|an ai (?:model|tool|system)|künstliche[rn]?"
    r" intelligenz|inteligencia artificial|intelligence artificielle|intelligenza artificiale"
    r"|inteligência artificial|sztuczn\w+ inteligencj\w+|искусственн\w+ интеллект\w*|人工智能"
)
_MAKING = (
    r"generated|produced|created|written|compiled|drafted|prepared|summari[sz]ed|translated"
    r"|erstellt|generiert|verfasst|zusammengefasst|übersetzt|geschrieben"
    r"|generad[oa]|elaborad[oa]|redactad[oa]|cread[oa]|resumid[oa]|traducid[oa]"
    r"|générée?|rédigée?|résumée?|produite?|traduite?|gerad[oa]|criad[oa]|generat[oa]|scritt[oa]"
    r"|wygenerowan\w+|сгенерирован\w*|создан\w*|生成|作成"
)
_SELF_NOUNS = (
    r"summary|summaries|article|text|content|story|coverage|live ?blog|post|report|briefing"
    r"|zusammenfassung|artikel|beitrag|meldung|liveblog|ticker"
    r"|resumen|artículo|texto|nota|contenido|directo"
    r"|résumé|texte|contenu|direct|articolo|riassunto|testo|resumo|artigo|conteúdo"
    r"|streszczenie|tekst|artykuł|текст|статья|материал|摘要|本文|要約|記事"
)
_SUMMARY_WORDS = r"summary|summaries|zusammenfassung|resumen|résumé|resumo|riassunto|要約|摘要"
_SOURCE_WORDS = r"sources|quellen|fuentes|fontes|fonti|źródła|источник\w*"

_BYLINE_SEP = r"(?:\s*[·•|/,]\s*|\s+)"
_BYLINE_PART = "|".join(_READ_TIME + _AGO)
# A time on a card: a video's duration, or an age ("3h ago", "vor 2 Stunden", "hace 5 minutos").
CARD_TIME = re.compile(
    rf"(?<![\d:])\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?![\d:])|(?:{'|'.join(_AGO[:-1])})", re.IGNORECASE
)

LINE_RULES: tuple[LineRule, ...] = (
    _line("text:share-label", *_SHARE, max_chars=40),
    # "2 min read · 13d ago", and with a kicker or byline part: "Explainer · 6 min read".
    _line(
        "text:read-time",
        rf"(?:\w[^·|•\n]{{0,39}}[·|•]\s*)*(?:{_BYLINE_PART})(?:{_BYLINE_SEP}(?:{_BYLINE_PART}))*"
        r"(?:\s*[·|•]\s*\w[^·|•\n]{0,39})*",
        max_chars=80,
    ),
    _line("text:stray-bullet", r"[-–—•·|*>_]*", max_chars=20),
    _line(
        "text:read-original",
        r"read (?:the )?(?:full|original|whole|complete) (?:article|story|post)(?: on| at| in)?.*",
        r"read (?:the )?original.*",
        r"read more(?: on| at)? .{0,60}",
        r"continue reading.{0,60}",
        r"(?:source|via|originally published (?:on|at|in)):? [^.]{0,40}→",
        r"lire la suite.{0,60}",
        r"weiterlesen.{0,40}",
        r"leer más.{0,40}",
        r"leia mais.{0,40}",
        r"阅读原文.{0,20}",
        r"查看原文.{0,20}",
        r"続きを読む.{0,20}",
        r"читать (?:далее|полностью).{0,40}",
        max_chars=120,
    ),
    _line(
        "text:video-listing",
        r"\d{1,2}:\d{2}(?::\d{2})?(?-i:[A-Z]).{0,200}",
        r"video data provided by .{0,80}",
        r"videos? (?:link|links) to .{0,40}",
        max_chars=220,
    ),
    _line(
        "text:follow-prompt",
        r"follow (?:topics|authors|us)\b.{0,160}",
        r"follow .{1,40} on (?:twitter|x|facebook|instagram|google news|linkedin).{0,160}",
        r"s[ií]guenos en .{0,160}",
        r"(?:folge|folgen sie) (?:uns|.{1,30}) auf .{0,80}",
        r"síguenos en .{0,80}",
        r"suivez-nous sur .{0,80}",
        r"siga-nos (?:no|nas) .{0,80}",
        max_chars=220,
    ),
    # Calls to action that open the line: subscribe, sign up, download the app, join.
    _line(
        "text:call-to-action",
        r"(?:subscribe|sign up|register|join|download|get) (?:now |today |here )?"
        r"(?:to|for|our|the|and)\b.{0,160}",
        r".{0,120}\b(?:sign up|subscribe|register) here\W*",
        r"(?:suscríbete|suscribite|hazte miembro|abonnez-vous|inscrivez-vous|jetzt abonnieren"
        r"|abonnieren sie|melden sie sich|assine|inscreva-se|подпишитесь).{0,160}",
        max_chars=200,
        cues=(
            "subscri",
            "sign up",
            "register",
            "join",
            "download",
            "get",
            "suscr",
            "hazte",
            "abonn",
            "inscri",
            "melden",
            "assine",
            "inscreva",
            "подпиш",
        ),
    ),
    # "Read more: <headline>" links set between paragraphs, in the languages we serve.
    _line(
        "text:inline-related",
        r"(?:read more|read also|also read|see also|related|more on this|more|watch|listen)"
        r"\s*[:：»>|]\s*.{3,200}",
        r"(?:lea|lee|vea|ver|mira|mire)(?: también| además| más)?\s*[:：»>]\s*.{3,200}",
        r"(?:le|te) puede interesar\s*[:：»>]?\s*.{0,200}",
        r"(?:lire|à lire|voir) aussi\s*[:：»>]\s*.{3,200}",
        r"(?:lesen sie (?:auch|mehr)|auch interessant|mehr zum thema|siehe auch|zum weiterlesen)"
        r"\s*[:：»>]?\s*.{0,200}",
        r"(?:leia|veja) (?:também|mais)\s*[:：»>]\s*.{3,200}",
        r"(?:читайте|смотрите) (?:также|еще)\s*[:：»>]?\s*.{0,200}",
        r"(?:auch lesen|lesen sie hier|puedes ver|ver también|mira también)\s*[:：»>]\s*.{3,200}",
        r"(?:相关阅读|延伸阅读|推荐阅读|相关新闻|あわせて読みたい|関連記事)\s*[:：]?.{0,100}",
        max_chars=220,
    ),
    # Tag and category runs: "Tags: AI, OpenAI", "Schlagwörter: MDR", "Temas".
    _line(
        "text:taxonomy",
        r"(?:tags?|topics?|temas?|themen|schlagwörter|schlagworte|stichworte|kategorien?"
        r"|categor(?:y|ies)|categorías?|catégories?|étiquettes|mots-clés|rubriken?|filed under"
        r"|标签|タグ|теги|рубрики?)"
        r"(?:\s*[:：].{0,120})?",
        max_chars=140,
    ),
    _line(
        "text:photo-credit",
        r"(?:photo|photos|foto|fotos|image|images|bild|bilder|credit|crédits? photos?|photograph"
        r"|illustration|imagen|imagem|фото|图片|写真)(?:\s*credit)?\s*[:：©].{1,100}",
        r"(?:\(|\[)?(?:photo|foto|bild|image)\s*[:：].{1,80}(?:\)|\])?",
        max_chars=120,
    ),
    # Whole-line UI labels: buttons and links that extraction keeps as text.
    _line(
        "text:ui-label",
        r"permalink|permalien|enlace permanente|print(?: this)?(?: article| page)?|drucken"
        r"|imprimir|imprimer|e-?mail|comments?|view comments|leave a (?:comment|reply)|reply"
        r"|kommentare?|kommentar schreiben|antworten|comentarios?|commentaires?|back to top"
        r"|nach oben|zurück|weiter|next|previous|(?:next|previous) (?:article|post|story)"
        r"|(?:nächster|vorheriger) (?:artikel|beitrag)|vorschau auf den nächsten artikel"
        r"|load more|show more|mehr laden|cargar más|voir plus|listen to (?:this )?article"
        r"|artikel anhören|escuchar (?:artículo|nota)|écouter (?:l'article|cet article)"
        r"|bild anzeigen|show image|view image|vergrößern|add to cart|in den warenkorb"
        r"|(?:der )?artikel wurde erfolgreich hinzugefügt|kontakt|contact(?: us)?"
        r"|weitere informationen|more information|further information|más información"
        r"|plus d'informations|quellen(?:angaben)?|originalpublikation|original publication"
        r"|release date|publication date|veröffentlichung|fecha de publicación"
        r"|date de publication",
        max_chars=50,
    ),
    _line(
        "text:related-heading",
        r"related (?:articles|posts|stories|news|content|reading)",
        r"(?:more|recommended) (?:from|for you|stories|articles|news).{0,30}",
        r"you (?:may|might) (?:also )?like",
        r"trending(?: now)?",
        r"most (?:read|popular|viewed)",
        r"read next",
        r"up next",
        r"(?:contenidos?|artículos?|noticias?|notas?) relacionad[oa]s?",
        r"te puede interesar",
        r"(?:más|more|mehr) (?:sobre|on|about|zu|zum|from) .{1,40}",
        r"(?:das|dieses) thema könnte (?:dich|sie) auch interessieren",
        r"schon gelesen\??",
        r"empfohlene (?:beiträge|artikel)",
        r"das könnte (?:dich|sie) auch"
        r" interessieren.{0,5}",
        r"weitere (?:\w+ )?(?:artikel|beiträge|themen|nachrichten|meldungen)"
        r"(?: zum thema| aus .{1,30})?",
        r"mehr (?:themen|artikel|zum thema|dazu|news)",
        r"beiträge aus dem forum",
        r"auch (?:auf|bei) [\w.-]+\.\w{2,6}",
        r"articles? (?:liés|similaires|connexes)",
        r"à lire (?:aussi|également)",
        r"notícias relacionadas",
        r"相关(?:文章|阅读|新闻)",
        r"関連記事",
        r"похожие (?:статьи|новости)",
        max_chars=60,
    ),
    # Paywall and newsletter prompts: a newsletter line that asks you to sign up, or a prompt
    # to subscribe to read on.
    _line(
        "text:subscribe-prompt",
        r"(?=.*(?:sign(?:ing)?[ -]?up|subscri|anmeld|abonn|inscri|suscri|registrier))"
        r".{0,120}newsletter.{0,120}",
        r".{0,60}to (?:view|read|continue)\b.{0,100}(?:subscri|log ?in|sign in|member).{0,100}",
        r"pour (?:lire la suite|accéder en illimité).{0,160}",
        r".{0,60}um weiterzulesen.{0,160}",
        r".{0,60}para (?:seguir|continuar) leyendo.{0,160}",
        r".{0,60}already a subscriber.{0,120}",
        r".{0,30}(?:support|unterstütze|apoya|soutenez)"
        r" (?:our|unsere?n?|nuestro|notre) (?:work|journalism|arbeit|journalismus|periodismo"
        r"|journalisme).{0,120}",
        r".{0,60}would you consider supporting .{0,120}",
        r"unterstütze [\w.-]+.{0,60}",
        max_chars=240,
        cues=(
            "newsletter",
            "to view",
            "to read",
            "to continue",
            "lire la suite",
            "accéder",
            "weiterzulesen",
            "leyendo",
            "already a subscriber",
            "support",
            "unterstütze",
            "apoya",
            "soutenez",
        ),
    ),
    _line(
        "text:copyright",
        r"(?:©|\(c\)|copyright\b).{0,300}",
        r".{0,200}all rights reserved\.?",
        r".{0,100}alle rechte vorbehalten\.?",
        r".{0,100}todos los derechos reservados\.?",
        r".{0,100}tous droits réservés\.?",
        r"materiał chroniony prawem autorskim.{0,160}",
        max_chars=320,
        cues=(
            "©",
            "(c)",
            "copyright",
            "rights reserved",
            "rechte vorbehalten",
            "derechos reservados",
            "droits réservés",
            "materiał chroniony",
        ),
    ),
    _line(
        "text:caption",
        r"(?:abbildung|abb\.|figure|fig\.|grafik|grafico|gráfico|beitragsbild|titelbild"
        r"|bildquelle|bildnachweis|foto ?credits?|image source)\s*\d*\s*[:：].{1,200}",
        max_chars=220,
    ),
    _line(
        "text:agency-signature",
        r"(?:[a-z]{2,5}(?:/[a-z]{2,5})*\s*/\s*)?(?:pap|dpa|afp|apa|efe|ansa|reuters|kna|epd|sda"
        r"|ats|ddp|kap)(?:\s*/\s*[a-z]{2,5})*",
        max_chars=40,
    ),
    _line("text:ad-label", *(re.escape(a) for a in AD_LABELS), max_chars=60),
    # "ANZEIGE - Heute mal ausgehen?", "*Werbung. Dieser Beitrag ..."
    _line(
        "text:ad-label",
        r"\*?(?:anzeige|werbung|advertisement|sponsored|publicidad|publicité|pubblicità)"
        r"\s*[-:.|–]\s*.{0,200}",
        max_chars=220,
    ),
    # Who the facts come from, on a line of its own: source lists, agency credits and wire
    # trailers, in the languages we serve (issue 12: "Sources: ...", "Reporting by ...; Editing
    # by ...", "Mit Material von dpa", "Avec AFP", "Con información de EFE").
    _line(
        "text:attribution",
        r"(?:sources?|quellen?|fuentes?|fontes?|источники?|来源|出典)\s*[:：].{1,160}",
        r"(?:based on|with|additional) reporting (?:by|from) .{1,120}",
        r"(?:reporting|writing|editing|compiled) by [^.;]{1,60}"
        r"(?:[;,] (?:additional reporting|reporting|writing|editing) by [^.;]{1,60})*",
        r"originally (?:reported|published) (?:by|on|at|in) .{1,80}",
        r"with (?:agencies|agency reporting|wires)",
        r"mit material (?:von|der|des) .{1,60}",
        r"avec (?:l')?(?:afp|agences|reuters|ap|belga)(?: et (?:l')?\w+)?",
        r"con información de .{1,80}",
        r"com informações (?:de|da|do|das|dos) .{1,80}",
        r"\((?:reuters|ap|afp|dpa|efe|ansa|bloomberg)\)",
        max_chars=200,
    ),
    # The label an aggregator puts over a machine summary, with its source count ("AI summary",
    # "KI-Zusammenfassung · 5 Quellen").
    _line(
        "text:ai-disclaimer",
        rf"(?:(?:{_AI_SHORT})[- ](?:{_SUMMARY_WORDS})|(?:{_SUMMARY_WORDS}) (?:{_AI_SHORT}))"
        rf"(?:\W*\d+\s*(?:{_SOURCE_WORDS}))?",
        rf"\d+\s*(?:{_SOURCE_WORDS})",
        max_chars=60,
    ),
    _line(
        "text:toc-heading",
        r"table of contents",
        r"contents",
        r"on this page",
        r"in this (?:article|story)",
        r"jump to",
        r"inhaltsverzeichnis",
        r"inhalt",
        r"índice(?: de contenidos?)?",
        r"contenidos?",
        r"sommaire",
        r"table des matières",
        r"conteúdo",
        r"目录",
        r"目錄",
        r"目次",
        r"содержание",
        max_chars=40,
    ),
)

# Words without which no sentence rule can match (lowercase): lines without any of them skip
# the sentence pass. Plain substrings, because a case-insensitive alternation searched over
# every line cost more than the rest of the text pass.
SENTENCE_CUES = (
    "generated",
    "liable",
    "responsible",
    "commission",
    "compensation",
    "affiliate",
    "associate",
    "provision",
    "afiliad",
    "affili",
    "original",
    "full article",
    "full story",
    "summar",
    "references to products",
    "enthält",
    # AI notes: the names of AI (" ai " with its spaces, as "ai" alone is in "said").
    " ai ",
    " ai.",
    " ai,",
    "ai-",
    "a.i.",
    "artificial",
    "künstlich",
    "intelligen",
    " ki ",
    " ki.",
    "ki-",
    " ia ",
    " ia.",
    "d'une ia",
    "искусствен",
    "人工智能",
    "may contain",
    "might contain",
    "can contain",
)

# Sentences dropped from inside a line (AI-summary and affiliate disclaimers, "read the original").
SENTENCE_RULES: tuple[LineRule, ...] = (
    _line(
        "text:ai-disclaimer",
        r"(?:this|the) (?:summary|article|content|text) (?:was|is|has been) "
        r"(?:ai[- ]generated|generated (?:by|with|using) (?:ai|artificial intelligence)).*",
        r"ai[- ]generated (?:summary|content).*",
        r".{0,60} is not (?:liable|responsible) for the accuracy.*",
        r".*summar(?:y|ies|ized) (?:by|with) (?:ai|artificial intelligence).*",
        r"(?:this|the) (?:summary|article) may contain (?:errors|inaccuracies).*",
        # The class: the page naming itself, a making verb and AI, in any order and language.
        rf".{{0,60}}\b(?:{_SELF_NOUNS})\b.{{0,80}}?"
        rf"(?:\b(?:{_MAKING})\b.{{0,60}}?(?:{_AI_NAMES})|(?:{_AI_NAMES}).{{0,60}}?\b(?:{_MAKING})\b).*",
        rf"(?:{_MAKING}) (?:by|with|using|von|mit|durch|por|con|par|avec|da|com) (?:the help of )?"
        rf"(?:an? )?(?:{_AI_NAMES}).*",
        r"(?:it|this summary|the summary|this text) (?:may|might|can) contain"
        r" (?:errors|mistakes|inaccuracies).*",
        max_chars=300,
    ),
    _line(
        "text:affiliate-disclaimer",
        r".*(?:we|i) (?:may )?(?:earn|receive|get) (?:a )?(?:small )?"
        r"(?:commission|compensation|affiliate).*",
        r".*(?:contains?|includes?|uses?) affiliate links.*",
        r"as an amazon associate.*",
        r".*affiliate links?.{0,80}(?:commission|earn).*",
        r".*wir erhalten (?:eine )?provision.*",
        r".*enlaces de afiliados.*",
        r".*liens affiliés.*",
        r".*(?:contains?|includes?) references to products.*",
        r".*(?:dieser beitrag )?enthält (?:werbung|affiliate|anzeigen).*",
        max_chars=400,
    ),
    _line(
        "text:read-original",
        r"read (?:the )?original\s*(?:→|->|»|›)?",
        r"read (?:the )?full (?:article|story).*",
        max_chars=120,
    ),
)


@lru_cache(maxsize=1)
def icon_names() -> frozenset[str]:
    """Every Material Icons / Material Symbols ligature name.

    Generated by ``scripts/fetch_icon_names.py``; cached because it is immutable.
    """
    data = resources.files("aggregator.clean").joinpath("data/material_icon_names.txt")
    return frozenset(data.read_text("utf-8").split())
