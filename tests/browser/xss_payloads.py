"""A corpus of hostile inputs, grouped by the kind of hole each one probes.

Every payload that could run calls a sentinel with its own number: `__xss(N)` (recorded by the
browser test's init script) or `alert(N)` / `confirm(N)` / `prompt(N)` (caught by its dialog
listener). Payloads that only leak through markup (a `javascript:` href, an `on*` attribute that
never fires, a clobbering `id`) are caught by the DOM check instead. Templates below use `$JS` for
the sentinel call and `$N` for the number; `PAYLOADS` holds them filled in, each distinct.
"""

import base64
from dataclasses import dataclass

SENTINEL = "__xss"
# Ids and names that DOM-clobbering payloads try to plant; none may reach the page.
CLOBBER_PREFIX = "clobber"


@dataclass(frozen=True)
class Payload:
    id: int
    kind: str
    text: str


def _entities(text: str, form: str = "&#{};") -> str:
    return "".join(form.format(ord(char)) for char in text)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- Script elements, in every spelling a parser might still accept ----------------------------
SCRIPT_TAGS = [
    "<script>$JS</script>",
    "<SCRIPT>$JS</SCRIPT>",
    "<ScRiPt>$JS</sCrIpT>",
    '<script type="text/javascript">$JS</script>',
    '<script type="module">$JS</script>',
    '<script src="data:text/javascript,$JS"></script>',
    "<script src=data:,$JS></script>",
    '<script/src="data:,$JS"></script>',
    "<script/x>$JS</script>",
    "<script\n>$JS</script\n>",
    "<script\t>$JS</script>",
    "<script >$JS</script >",
    "<<script>script>$JS<</script>/script>",
    "<scr<script>ipt>$JS</scr</script>ipt>",
    "<script>$JS//",
    "<script>/*</script>*/$JS</script>",
    "</script><script>$JS</script>",
    "<script>$JS</script",
    "<script defer>$JS</script>",
    "<script async src=//0 onerror=$JS></script>",
    "<script>eval('$JS')</script>",
    "<script>setTimeout('$JS',0)</script>",
    "<script>window['__xss']($N)</script>",
    "<script>alert($N)</script>",
    "<script>confirm($N)</script>",
    "<script>prompt($N)</script>",
    "<script>top.__xss($N)</script>",
    "<script for=window event=onload>$JS</script>",
    "<script>[$N].find(__xss)</script>",
    "<script>__xss`$N`</script>",
    "<script>\\u005f_xss($N)</script>",
    "<script xlink:href=data:,$JS></script>",
    "<script>document.write('<img src=x onerror=$JS>')</script>",
    '<script src="data:text/javascript;base64,B64JS"></script>',
]

# --- Event-handler attributes that fire with no click, and some that need one ------------------
EVENT_HANDLERS = [
    "<img src=x onerror=$JS>",
    '<img src="x" onerror="$JS">',
    "<img src='x' onerror='$JS'>",
    "<img/src=x/onerror=$JS>",
    "<IMG SRC=x ONERROR=$JS>",
    "<img src=x oNeRrOr=$JS>",
    "<img src=x onerror\n=$JS>",
    "<img src=x onerror\t=\t$JS>",
    '<img src=x onerror="javascript:$JS">',
    "<img src=x onerror=eval(atob('B64JS'))>",
    "<img src onerror=$JS>",
    "<image src=x onerror=$JS>",
    "<img src=x:x onerror=$JS>",
    "<img srcset=x onerror=$JS>",
    "<picture><source srcset=x><img src=x onerror=$JS></picture>",
    "<img src=1 onload=$JS onerror=$JS>",
    "<svg onload=$JS>",
    "<svg/onload=$JS>",
    "<body onload=$JS>",
    "<body onpageshow=$JS>",
    "<body onfocus=$JS>",
    "<body onhashchange=$JS>",
    "<body onresize=$JS>",
    "<iframe onload=$JS></iframe>",
    "<iframe src=about:blank onload=$JS></iframe>",
    "<input autofocus onfocus=$JS>",
    "<input onfocus=$JS autofocus>",
    "<input type=image src=x onerror=$JS>",
    "<input type=hidden accesskey=x onclick=$JS>",
    "<select autofocus onfocus=$JS></select>",
    "<textarea autofocus onfocus=$JS></textarea>",
    "<keygen autofocus onfocus=$JS>",
    "<details open ontoggle=$JS>",
    "<details ontoggle=$JS open><summary>x</summary></details>",
    "<video src=x onerror=$JS></video>",
    "<video><source onerror=$JS></video>",
    "<audio src=x onerror=$JS></audio>",
    "<audio src onloadstart=$JS></audio>",
    "<marquee onstart=$JS>x</marquee>",
    "<object data=x onerror=$JS></object>",
    "<embed src=x onload=$JS>",
    "<style onload=$JS></style>",
    "<link rel=stylesheet href=x onerror=$JS>",
    "<link rel=preload href=x as=script onload=$JS>",
    "<div onmouseover=$JS>hover</div>",
    "<p onclick=$JS>click</p>",
    "<a href=https://example.org/ onclick=$JS>x</a>",
    "<a onfocus=$JS autofocus href=#>x</a>",
    "<b onmouseenter=$JS>x</b>",
    "<strong onpointerover=$JS>x</strong>",
    "<em ontouchstart=$JS>x</em>",
    "<li onmousedown=$JS>x</li>",
    "<blockquote onkeyup=$JS>x</blockquote>",
    "<h2 onauxclick=$JS>x</h2>",
    "<div tabindex=1 autofocus onfocusin=$JS></div>",
    "<div onanimationstart=$JS style=animation-name:x></div>",
    "<div ontransitionend=$JS></div>",
    "<form onsubmit=$JS><button>x</button></form>",
    "<button onclick=$JS>x</button>",
    "<table background=x onerror=$JS></table>",
    "<frameset onload=$JS>",
    "<xss onclick=$JS>x</xss>",
    "<x onbeforescriptexecute=$JS>",
    "<custom-tag onfocus=$JS tabindex=1 autofocus>x</custom-tag>",
    "<math onclick=$JS>x</math>",
    "<isindex type=image src=1 onerror=$JS>",
    "<bgsound src=x onerror=$JS>",
    "<menu onauxclick=$JS>x</menu>",
    "<img src=x onerror=top['__xss']($N)>",
    "<img src=x onerror=window.__xss?.($N)>",
    "<img src=x onerror=self[`__xss`]($N)>",
    "<img src=x onerror=(__xss)($N)>",
    "<img src=x onerror=Function('__xss($N)')()>",
    "<img src=x onerror=alert($N)>",
    "<img src=x onerror=confirm($N)>",
    "<img src=x onerror=prompt($N)>",
    "<svg onload=alert($N)>",
    "<img src=x onerror=__xss&lpar;$N&rpar;>",
    "<img src=x onerror=__xss&#40;$N&#41;>",
    "<img src=x onerror=&#x5F;&#x5F;xss&#x28;$N&#x29;>",
    '<img src=x onerror="\\u005f_xss($N)">',
    "<img src=x onerror=location='javascript:$JS'>",
    "<img src=x onerror=$JS ",
    "<audio src=x onerror=$JS",
]

# --- Script URLs: spellings, entity encodings, whitespace and control characters in the scheme -
SCRIPT_URLS = [
    "javascript:$JS",
    "JaVaScRiPt:$JS",
    "JAVASCRIPT:$JS",
    " javascript:$JS",
    "\tjavascript:$JS",
    "\njavascript:$JS",
    "java\tscript:$JS",
    "java\nscript:$JS",
    "java\rscript:$JS",
    "java&#x09;script:$JS",
    "java&#9;script:$JS",
    "java&#10;script:$JS",
    "java&#x0D;script:$JS",
    "java&Tab;script:$JS",
    "java&NewLine;script:$JS",
    "&#106;avascript:$JS",
    "&#x6A;avascript:$JS",
    "&#0000106;avascript:$JS",
    "&#x0000006A;avascript:$JS",
    "jav&#x61;script:$JS",
    "javascript&colon;$JS",
    "javascript&#58;$JS",
    "javascript&#x3a;$JS",
    "javascript&#X3A;$JS",
    "\x01javascript:$JS",
    "\x0bjavascript:$JS",
    "&#x01;javascript:$JS",
    "&#14;javascript:$JS",
    "%6A%61%76%61%73%63%72%69%70%74:$JS",
    "javascript://%0a$JS",
    "javascript://example.org/%0a$JS",
    "javascript:/*--></title></style></textarea></script><svg/onload=$JS//",
    "javascript:alert($N)",
    "javascript:void($JS)",
    "javascript:'<img src=x onerror=$JS>'",
    "vbscript:msgbox($N)",
    "VBScript:msgbox($N)",
    "livescript:$JS",
    "data:text/html,<script>$JS</script>",
    "data:text/html;base64,B64HTML",
    "DATA:text/html,<script>$JS</script>",
    "data:text/html;charset=utf-8,%3Cscript%3E$JS%3C/script%3E",
    " data:text/html,<script>$JS</script>",
    "data:image/svg+xml,<svg onload=$JS>",
    "data:application/xhtml+xml,<html xmlns='http://www.w3.org/1999/xhtml'><script>$JS</script>",
    "&#100;ata:text/html,<script>$JS</script>",
]
# Script URLs written out in full as entities (decimal without semicolons, and hex).
SCRIPT_URLS_ENCODED = ["ENTITY_DEC", "ENTITY_HEX", "ENTITY_DEC_PADDED"]

# Where a URL can hide: every attribute a browser follows, loads or submits to.
URL_CARRIERS = [
    '<a href="{url}">link</a>',
    "<a href='{url}'>link</a>",
    '<a title="x" href="{url}" rel="noopener">link</a>',
    '<iframe src="{url}"></iframe>',
    '<form action="{url}"><button>go</button></form>',
    '<form><button formaction="{url}">go</button></form>',
    '<input type=submit formaction="{url}">',
    '<object data="{url}"></object>',
    '<embed src="{url}">',
    '<svg><a xlink:href="{url}"><text x=0 y=20>x</text></a></svg>',
    '<svg><a href="{url}"><circle r=40></circle></a></svg>',
    '<math href="{url}">x</math>',
    '<base href="{url}">',
    '<img src="{url}">',
    '<link rel=stylesheet href="{url}">',
    '<area href="{url}">',
    '<meta http-equiv=refresh content="0;url={url}">',
    '<frame src="{url}">',
    '<video poster="{url}"></video>',
    '<a href="https://example.org/" ping="{url}">x</a>',
    '<iframe src="{url}" sandbox="allow-scripts"></iframe>',
    '<x href="{url}">x</x>',
]
# The carriers get a few of the URLs; links get them all.
URLS_FOR_EVERY_CARRIER = ["javascript:$JS", "java&#x09;script:$JS", "data:text/html;base64,B64HTML"]

# --- Text that a linkifier or a Markdown-minded reader might turn into a link ------------------
LINKIFY = [
    "[link](javascript:$JS)",
    "![x](javascript:$JS)",
    "<javascript:$JS>",
    "[x]: javascript:$JS",
    'www.example.org/"onmouseover="$JS"',
    'http://example.org/"><img src=x onerror=$JS>',
    "http://exa<img src=x onerror=$JS>mple.org",
    "https://example.org/?q=<script>$JS</script>",
    "example.org/#'onclick=$JS",
    "http://example.org/javascript:$JS",
    "mailto:x@example.org?body=<script>$JS</script>",
    "data://example.org/text/html,<script>$JS</script>",
    "javascript://example.org/%0a$JS",
]

# --- SVG and MathML: foreign content, where parsing rules change ------------------------------
NAMESPACES = [
    "<svg><script>$JS</script></svg>",
    "<svg><script href=data:,$JS /></svg>",
    "<svg><script xlink:href=data:,$JS></script></svg>",
    "<svg><animate onbegin=$JS attributeName=x dur=1s>",
    "<svg><set onbegin=$JS attributeName=x to=1>",
    "<svg><animatetransform onbegin=$JS attributeName=transform>",
    "<svg><discard onbegin=$JS>",
    "<svg><set attributeName=href to=javascript:$JS /><a><text y=20>x</text></a></svg>",
    "<svg><a><animate attributeName=href values=javascript:$JS /><text y=20>x</text></a></svg>",
    "<svg><foreignObject><img src=x onerror=$JS></foreignObject></svg>",
    "<svg><desc><img src=x onerror=$JS></desc></svg>",
    "<svg><title><img src=x onerror=$JS></title></svg>",
    "<svg><style><img src=x onerror=$JS></style></svg>",
    '<svg></p><style><a id="</style><img src=x onerror=$JS>">',
    "<svg><p><style><img src=x onerror=$JS></style></p></svg>",
    "<svg><image href=x onerror=$JS />",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='1' onerror='$JS'/></svg>#x\"/></svg>",
    "<svg><handler xmlns:ev=http://www.w3.org/2001/xml-events ev:event=load>$JS</handler></svg>",
    "<svg xmlns=http://www.w3.org/2000/svg><g onload=$JS></g></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=$JS>",
    '<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style>'
    '<img src onerror=$JS>"></style></h1>',
    "<math><style><img src=x onerror=$JS></style></math>",
    "<math><maction actiontype=statusline xlink:href=javascript:$JS>x</maction></math>",
    "<math><mi xlink:href=javascript:$JS>x</mi></math>",
    "<math><annotation-xml encoding=text/html><img src=x onerror=$JS></annotation-xml></math>",
    '<math><mi><mglyph><svg><mtext><textarea><a title="</textarea><img src=x onerror=$JS>">',
    "<svg><![CDATA[><img src=x onerror=$JS>]]></svg>",
    "<svg><!--<img src=x onerror=$JS>--></svg>",
]

# --- Raw-text and template elements, comments and CDATA: mutation between parse and serialise --
MUTATION = [
    '<noscript><p title="</noscript><img src=x onerror=$JS>">',
    "<noscript><img src=x onerror=$JS></noscript>",
    "<noscript><style></noscript><img src=x onerror=$JS></style>",
    "<style><img src=x onerror=$JS></style>",
    "<style></style><img src=x onerror=$JS>",
    "<template><img src=x onerror=$JS></template>",
    "<template><script>$JS</script></template>",
    "<textarea></textarea><img src=x onerror=$JS>",
    "<textarea><img src=x onerror=$JS></textarea>",
    '<textarea><p title="</textarea><img src=x onerror=$JS>">',
    "<title><img src=x onerror=$JS></title>",
    '<title><p title="</title><img src=x onerror=$JS>">',
    "<xmp><img src=x onerror=$JS></xmp>",
    "<xmp></xmp><img src=x onerror=$JS>",
    '<xmp><p title="</xmp><img src=x onerror=$JS>">',
    "<iframe><img src=x onerror=$JS></iframe>",
    '<iframe><p title="</iframe><img src=x onerror=$JS>">',
    "<noembed><img src=x onerror=$JS></noembed>",
    '<noembed><p title="</noembed><img src=x onerror=$JS>">',
    "<noframes><img src=x onerror=$JS></noframes>",
    '<noframes><p title="</noframes><img src=x onerror=$JS>">',
    "<listing><img src=x onerror=$JS></listing>",
    "<select><template><style><img src=x onerror=$JS></style></template></select>",
    "<select><option><style></option></select><img src=x onerror=$JS></style>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=$JS>",
    "<table><style><img src=x onerror=$JS></style></table>",
    "<table><td><style></td><img src=x onerror=$JS></style>",
    "<!--><img src=x onerror=$JS>-->",
    "<!-- --!><img src=x onerror=$JS>-->",
    '<!--<img src="--><img src=x onerror=$JS//">',
    "<!---><img src=x onerror=$JS>",
    "<![CDATA[><img src=x onerror=$JS>]]>",
    "<?xml ><img src=x onerror=$JS>?>",
    "<!DOCTYPE html><img src=x onerror=$JS>",
    "<! foo=><img src=x onerror=$JS>>",
    "<!--[if IE]><img src=x onerror=$JS><![endif]-->",
    "<plaintext><img src=x onerror=$JS>",
]

# --- Entity and Unicode encodings of the markup itself ----------------------------------------
ENCODINGS = [
    "&lt;script&gt;$JS&lt;/script&gt;",
    "&#60;script&#62;$JS&#60;/script&#62;",
    "&#x3C;img src=x onerror=$JS&#x3E;",
    "&#0000060;img src=x onerror=$JS&#0000062;",
    "&LT;img src=x onerror=$JS&GT;",
    "&amp;lt;script&amp;gt;$JS&amp;lt;/script&amp;gt;",
    "&amp;#60;img src=x onerror=$JS&amp;#62;",
    "\\u003cscript\\u003e$JS\\u003c/script\\u003e",
    "\\x3cimg src=x onerror=$JS\\x3e",
    "%3Cscript%3E$JS%3C/script%3E",
    "%253Cscript%253E$JS%253C/script%253E",
    "\uff1cscript\uff1e$JS\uff1c/script\uff1e",
    "\u02c2img src=x onerror=$JS\u02c3",
    "\u2039img src=x onerror=$JS\u203a",
    "+ADw-script+AD4-$JS+ADw-/script+AD4-",
    "<scr\u200bipt>$JS</scr\u200bipt>",
    "<img src=x on\u200berror=$JS>",
    "<img src=x onerror\u3000=$JS>",
    "<img\u00a0src=x\u00a0onerror=$JS>",
    "<img\u2028src=x onerror=$JS>",
    "<img src=x onerror=$JS\u2029>",
    "<\u0131mg src=x onerror=$JS>",
    "<\u017fcript>$JS</\u017fcript>",
    "<ſvg onload=$JS>",
    "<img src=x onerror=\u200b$JS>",
    "\ufeff<script>$JS</script>",
    "<script>\u2028$JS</script>",
    '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A$JS">x</a>',
    '<a href="javascript&#0000058$JS">x</a>',
    '<a href="&#X6a;avascript:$JS">x</a>',
    '<a href="\u0000javascript:$JS">x</a>',
    "<scr\u0000ipt>$JS</scr\u0000ipt>",
]

# --- Breaking out of an attribute or an element the page put the text in ----------------------
ATTRIBUTE_BREAKING = [
    '"><img src=x onerror=$JS>',
    "'><img src=x onerror=$JS>",
    '" onmouseover="$JS',
    "' onmouseover='$JS",
    '" autofocus onfocus="$JS" x="',
    "' autofocus onfocus='$JS' x='",
    '"autofocus/onfocus="$JS"//',
    "` onmouseover=$JS `",
    " onmouseover=$JS ",
    "x onerror=$JS",
    '"/><svg onload=$JS>',
    '"></a><img src=x onerror=$JS>',
    '"></textarea><img src=x onerror=$JS>',
    '"></title><img src=x onerror=$JS>',
    '"></option></select><img src=x onerror=$JS>',
    '"></label><img src=x onerror=$JS>',
    "</dd></dl><img src=x onerror=$JS>",
    "</td></tr></table><img src=x onerror=$JS>",
    '" style="x:expression($JS)',
    '" href="javascript:$JS',
    "<a href=\"https://example.org/\" title='x' onmouseover=$JS>x</a>",
    '<a href="https://example.org/" rel="x" target=_blank onfocus=$JS autofocus>x</a>',
    '<a href="https://example.org/" onclick="$JS">x</a>',
    '<a href=https://example.org/ title="a" title="b" onclick=$JS>x</a>',
    '<a href="https://example.org/"onclick="$JS">x</a>',
    '<a href=https://example.org/"onclick=$JS>x</a>',
    '<a title="&quot; onmouseover=&quot;$JS">x</a>',
    "<a title='&#39; onmouseover=&#39;$JS'>x</a>",
    "<p title=\"x\" title2='' onclick=$JS>x</p>",
    '<img alt="`" onerror=$JS src=x>',
    '<a rel="noopener" rel="x onclick=$JS">x</a>',
    '<a href="mailto:x@example.org" onclick="$JS">mail</a>',
    '<a href="https://example.org/" data-x=1 onclick=$JS>x</a>',
    '<a href="https://example.org/" formaction="javascript:$JS">x</a>',
    '<a href="https://example.org/" xlink:href="javascript:$JS">x</a>',
    '<a href="https://example.org/" srcdoc="<script>$JS</script>">x</a>',
]

# --- DOM clobbering: names and ids that shadow what page code reads ---------------------------
CLOBBERING = [
    '<a id="clobber$N" href="javascript:$JS">x</a>',
    '<form name="clobber$N"><input name="action" value="javascript:$JS"></form>',
    '<img name="clobber$N" src="javascript:$JS">',
    '<a id="__xss" name="__xss" href="javascript:$JS">x</a>',
    '<a id="csrfmiddlewaretoken" name="clobber$N">x</a>',
    '<input name="csrfmiddlewaretoken" id="clobber$N" value="$JS">',
    '<form id="clobber$N"><input name="attributes"><input name="nodeName"></form>',
    '<a id="defaultView" name="clobber$N">x</a>',
    '<img name="getElementById" id="clobber$N">',
    '<a name="cookie" id="clobber$N">x</a>',
    '<a id="clobber$N"></a><a id="clobber$N" name="src" href="data:,$JS">x</a>',
    '<p id="main-content" name="clobber$N">x</p>',
    '<div id="clobber$N" data-error-summary tabindex="-1">$JS</div>',
    '<object id="clobber$N" data="javascript:$JS"></object>',
    '<iframe name="clobber$N" srcdoc="<script>parent.$JS</script>"></iframe>',
    '<a id="clobber$N" href="cid:x" name="CONFIG">x</a>',
]

# --- CSS: styles that load URLs, run expressions, or trigger animation handlers ----------------
CSS = [
    "<style>body{background:url('javascript:$JS')}</style>",
    "<style>@import 'javascript:$JS';</style>",
    "<style>@import url(data:text/css,body{background:red});</style><img src=x onerror=$JS>",
    "<style>*{x:expression($JS)}</style>",
    "<style>@keyframes x{}</style><p style=animation-name:x onanimationstart=$JS>x</p>",
    "<p style=\"background:url('javascript:$JS')\">x</p>",
    '<p style="x:expression($JS)">x</p>',
    '<p style="behavior:url(#default#time2)" onbegin=$JS>x</p>',
    "<p style=\"-moz-binding:url('data:text/xml,<x/>#$JS')\">x</p>",
    '<p style="background-image:url(&#1;javascript:$JS)">x</p>',
    '<p style="width:expression&#40;$JS&#41;">x</p>',
    '<p style="x:\\65xpression($JS)">x</p>',
    '<p style="background:url(/*x*/javascript:$JS)">x</p>',
    '<p style="position:fixed;inset:0;z-index:9" onmouseover=$JS>x</p>',
    '<link rel=stylesheet href="data:text/css,*{background:url(javascript:$JS)}">',
    "</style><img src=x onerror=$JS>",
    "<style></style ><img src=x onerror=$JS>",
    '<div style="}</style><img src=x onerror=$JS>">x</div>',
    "<style>/*</style><img src=x onerror=$JS>*/</style>",
    "<style>a{color:red}</style><a href=javascript:$JS>x</a>",
    "<STYLE>li{list-style-image:url('javascript:$JS')}</STYLE><ul><li>x</li></ul>",
    "<p style=\"font-family:'</style><img src=x onerror=$JS>'\">x</p>",
    "<svg><style>*{fill:url(javascript:$JS)}</style></svg>",
    '<table style="background:url(javascript:$JS)"></table>',
]

# --- Malformed markup: unclosed, doubled and half-written tags --------------------------------
MALFORMED = [
    "<img src=x onerror=$JS//",
    "<<img src=x onerror=$JS>",
    '<img """><script>$JS</script>">',
    '<IMG SRC=# onmouseover="$JS">',
    "<img src= onerror=$JS>",
    '<a href="javascript:$JS"',
    "<p <img src=x onerror=$JS>>",
    "<div/onmouseover='$JS'>x</div>",
    "<svg onload=$JS",
    "</p><script>$JS</script>",
    "<%00script>$JS</script>",
    '<img src="x` `<script>$JS</script>"` `>',
    '<a href="x""onclick=$JS>x</a>',
    "<img src=x onerror=$JS/>",
    "<img/src/onerror=$JS>",
    "<img src=x onerror=$JS><!--",
    "<a href=javas&#99;ript:$JS>x</a>",
    "<img src=`x`onerror=$JS>",
    "<img src=x\x0bonerror=$JS>",
    "<img src=x\x0conerror=$JS>",
    "<img src=x onerror =$JS>",
    "<img src=x onerror= $JS>",
    "<img =x src=x onerror=$JS>",
    '<img src=x onerror="$JS"">',
    "</img src=x onerror=$JS>",
    "<br/><br onerror=$JS src=x>",
    "<p/x/onclick=$JS>x",
    "<a/href=javascript:$JS>x</a>",
    "<a href='javascript&colon;$JS'>x",
    "<b><i><p><a href=javascript:$JS>unclosed",
    "<scri%00pt>$JS</scri%00pt>",
    "<<SCRIPT>$JS//<</SCRIPT>",
    "<img src=x onerror=$JS>></img>",
    "<ul><li><img src=x onerror=$JS></ul></li>",
    "<</p>img src=x onerror=$JS>",
    '<a href="https://example.org/<img src=x onerror=$JS>">x</a>',
]

# --- Text aimed at the server or page code rather than at the HTML parser --------------------
TEMPLATE_AND_CONTEXT = [
    "{{ 7*7 }}{% debug %}$JS",
    "{{constructor.constructor('$JS')()}}",
    "${$JS}",
    "#{$JS}",
    "<%= $JS %>",
    "'-$JS-'",
    '";$JS;//',
    '\\";$JS;//',
    "</script><script>$JS</script><!--",
    "</title><script>$JS</script>",
    "</textarea><script>$JS</script>",
    "--><script>$JS</script>",
    "]]><script>$JS</script>",
    "\u2028\u2029</script><script>$JS</script>",
    '{"a":"</script><script>$JS</script>"}',
]

# --- Wagtail's stored rich-text format, should it ever be fed in directly ---------------------
WAGTAIL_FORMAT = [
    '<a linktype="external" href="javascript:$JS">x</a>',
    '<a linktype="page" id="1" onclick="$JS">x</a>',
    '<a linktype="document" id="1&quot; onclick=&quot;$JS">x</a>',
    '<embed embedtype="image" id="1" format="left" alt="x" onerror="$JS"/>',
    '<embed embedtype="media" url="javascript:$JS"/>',
    '<a linktype="unknown" href="data:text/html,<script>$JS</script>">x</a>',
]

CLASSES = {
    "script tags": SCRIPT_TAGS,
    "event handlers": EVENT_HANDLERS,
    "script urls in links": [f'<a href="{url}">link</a>' for url in SCRIPT_URLS]
    + [f'<a href="{url}">link</a>' for url in SCRIPT_URLS_ENCODED],
    "script urls in other carriers": [
        carrier.format(url=url) for url in URLS_FOR_EVERY_CARRIER for carrier in URL_CARRIERS[1:]
    ],
    "bare script urls and linkify": SCRIPT_URLS + LINKIFY,
    "svg and mathml namespaces": NAMESPACES,
    "noscript, style, template and comment mutation": MUTATION,
    "entity and unicode encodings": ENCODINGS,
    "attribute breaking": ATTRIBUTE_BREAKING,
    "dom clobbering": CLOBBERING,
    "css injection": CSS,
    "malformed markup": MALFORMED,
    "template and script context": TEMPLATE_AND_CONTEXT,
    "wagtail rich-text format": WAGTAIL_FORMAT,
}


def _fill(template: str, number: int) -> str:
    js = f"{SENTINEL}({number})"
    text = template.replace("$JS", js).replace("$N", str(number))
    text = text.replace("B64JS", _b64(js))
    text = text.replace("B64HTML", _b64(f"<script>parent.{js}</script>"))
    url = f"javascript:{js}"
    text = text.replace("ENTITY_DEC_PADDED", _entities(url, "&#{:07d};"))
    text = text.replace("ENTITY_DEC", _entities(url, "&#{}"))
    return text.replace("ENTITY_HEX", _entities(url, "&#x{:X};"))


def _build() -> list[Payload]:
    payloads, seen = [], set()
    for kind, templates in CLASSES.items():
        for template in templates:
            number = len(payloads) + 1
            text = _fill(template, number)
            if text.replace(str(number), "#") in seen:
                continue
            seen.add(text.replace(str(number), "#"))
            payloads.append(Payload(id=number, kind=kind, text=text))
    return payloads


PAYLOADS: list[Payload] = _build()


def texts(limit: int | None = None, *, plain_line=False) -> list[str]:
    """The payload texts as they can reach the database, those longer than `limit` left out.
    With `plain_line`, only the ones that fit on one line of a single-line text box.

    NUL never reaches the database: every form refuses it (Django's null-character validator)
    and PostgreSQL cannot store it, so it is taken out here; the NUL variants are run through
    the sanitiser and the form field in tests/lms/test_sanitiser_corpus.py."""
    found = [payload.text.replace("\x00", "") for payload in PAYLOADS]
    if limit is not None:
        found = [text for text in found if len(text) <= limit]
    if plain_line:
        found = [text for text in found if not set(text) & {"\n", "\r", "\x00"}]
    return found


def packed(limit: int, *, separator=" ", plain_line=False) -> list[str]:
    """The corpus packed into as few strings of at most `limit` characters as it takes, for
    length-limited fields: one record holds several payloads."""
    chunks: list[str] = []
    for text in texts(limit, plain_line=plain_line):
        if chunks and len(chunks[-1]) + len(separator) + len(text) <= limit:
            chunks[-1] += separator + text
        else:
            chunks.append(text)
    return chunks
