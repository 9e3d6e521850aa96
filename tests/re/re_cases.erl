%% The cases of tests/re_vs_erl.rs: patterns, subjects and options, some
%% as grids (every pattern on every subject with every option set). Only
%% inputs: the results come from erl, live, in the same test run.
-module(re_cases).
-export([cases/0]).

cases() ->
    basics() ++ classes() ++ groups() ++ anchors() ++ quantifiers() ++
        lookaround() ++ backrefs() ++ options() ++ captures() ++
        unicode() ++ errors() ++ real_world() ++ elixir() ++
        replace() ++ split() ++ misc().

subjects() ->
    ["", "a", "abc", "aaa", "abcabc", "xyz", "ABC aBc", "a\nb\nc\n",
     "foo bar  baz", "hello world 123", "12-34-5678", <<"caf", 233, " na", 239, "ve">>,
     "a.b*c+d", "x\r\ny\rz\n", "   ", "aaaaab", "the cat sat on the mat"].

basics() ->
    [{grid, ["a", "abc", "b", "x|y|z", "a|ab|abc", "", "c$", "^a", ".", "..", "a.c",
             "\\.", "\\*", "a\\+", "\\x61", "\\x{62}", "\\141", "\\0", "\\t", "\\n", "\\e",
             "\\ca", "\\Qa.b\\E", "\\Q*\\E+", "a\\Q\\E", "[abc]", "\\Aa", "c\\z", "c\\Z",
             "\\bcat\\b", "\\Bat", "\\w+", "\\W+", "\\d+", "\\D+", "\\s+", "\\S+",
             "\\h", "\\H+", "\\v", "\\V+", "\\R", "\\N+", "a{", "a{,2}", "a{2", "x{1}y",
             "\\8", "\\9", "\\y", "(?#comment)a", "\\G.", "\\K", "a\\Kb", "\\X", "\\C"],
      subjects(), [[]]}].

classes() ->
    [{grid, ["[a-c]+", "[^a-c]+", "[]a]", "[^]a]", "[a-]", "[-a]", "[a\\-z]", "[\\d.]+",
             "[\\w-]+", "[[:alpha:]]+", "[[:digit:][:space:]]+", "[[:^alpha:]]+",
             "[[:upper:]]", "[[:lower:]]+", "[[:alnum:]_]+", "[[:punct:]]+", "[[:xdigit:]]+",
             "[[:blank:]]", "[[:cntrl:]]", "[[:graph:]]+", "[[:print:]]+", "[[:word:]]+",
             "[[:ascii:]]+", "[\\x00-\\x1f]", "[\\x{e0}-\\x{ff}]+", "[\\s\\S]", "[^\\s]+",
             "[\\b]", "[\\n\\r]", "[a-zA-Z0-9_]+", "[.*+?]", "[\\]\\[]", "[\\\\]", "[\\Q]\\E]",
             "[z-]", "[%--]", "[\\h]", "[\\V]", "[^\\d\\s]+", "[\\W\\d]+", "[\\101-\\103]+"],
      subjects(), [[], [caseless]]}].

groups() ->
    [{grid, ["(a)(b)?(c)", "(a)|(b)", "(a|b)*c", "(?:ab)+", "(a)?b", "((a)|b)+", "(a*)*",
             "(a*)+", "(a|)*b", "(?|(a)|(b))", "(?|(a)(b)|(c))", "(?<x>a)(?<y>b)?",
             "(?'q'b)", "(?P<p>c)", "(a)(?:x|(b))(c)?", "(((a)))", "()", "(?:)", "(x)?",
             "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)", "(?>a+)b", "(?>a|ab)c", "(a(?=b))",
             "(?i:A)b", "a(?i)b", "(?i)abc", "(?-i:a)", "((?i)a)b", "(?s).", "(?m)^b",
             "(?x) a b c ", "(?x)a#comment\nb", "(?U)a+", "(?U)a+?", "(?J)(?<n>a)|(?<n>b)"],
      ["abc", "ac", "b", "aab", "ABC", "aBc", "xyz", "ab\nbc", "ab", "abcdefghijk", ""],
      [[], [{capture, all, binary}], [{capture, all_but_first, list}], [global]]}].

anchors() ->
    [{grid, ["^", "$", "^a", "a$", "^$", "^b", "b$", "c$", "\\Z", "\\z", "\\A", "^.*$",
             "(?m)^.*$", "(?m)^\\w", "(?m)\\w$", "\\b", "\\B", "\\bb", "$\\n", "a\\Z"],
      ["a\nb\n", "a\nb", "\n", "", "ab\r\nc\r\n", "b\n\n", "a\rb\r"],
      [[], [multiline], [global], [multiline, global], [dollar_endonly], [notbol],
       [noteol], [{newline, crlf}, multiline, global], [{newline, cr}, multiline, global],
       [{newline, anycrlf}, global], [{newline, any}, multiline, global], [dotall, global]]}].

quantifiers() ->
    [{grid, ["a*", "a+", "a?", "a*?", "a+?", "a??", "a{2}", "a{2,}", "a{1,2}", "a{0,1}?",
             "a{2,3}?", "a*+", "a++b", "a?+", "(ab)*", "(ab)+?", "(a|b){2,3}", "(a|b){2,3}?",
             "a{0}", "[ab]{3}", ".*b", ".*?b", ".+", "(a+)+$", "a*a*a*b", "(?:a?){3}a{3}",
             "x*", "(a|ab)(c|bcd)(d*)", "a{3,}+", "(a{1,2}){2}", "\\d{2,4}", "\\w{3}\\b"],
      ["", "a", "aa", "aaa", "aaaa", "ab", "abab", "aaab", "bbb", "abcd", "12345", "foo bar"],
      [[], [global], [ungreedy]]}].

lookaround() ->
    [{grid, ["a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?<=ab|c)d", "(?<=\\d{2})x",
             "(?=.*\\d)\\w+", "(?!abc)\\w+", "\\w+(?=;)", "(?<=^|,)\\w*", "(?<![a-z])\\d",
             "(?=(a+))", "(?!)", "(?=)", "x(?=y|z)", "(?<=a)(?=b)", "^(?=.*[A-Z])(?=.*\\d).{6,}$",
             "(?<=\\bfoo)bar", "(?<!foo)bar", "(?=a)*b", "(?(?=a)ab|cd)", "(?(?!a)cd|ab)",
             "(?(?<=x)y|z)"],
      ["ab", "ac", "cb", "bb", "abd", "cd", "12x", "1x", "abc;", "a,bc,,d", "x1 a1",
       "aaa", "Passw0rd", "password", "foobar", "xbar", "b", "xyxz", "cd"],
      [[], [global]]}].

backrefs() ->
    [{grid, ["(a)\\1", "(a|b)\\1", "(\\w)\\1+", "(?<c>.)\\k<c>", "(?<c>.)\\k'c'", "(?<c>.)\\k{c}",
             "(?P<c>.)(?P=c)", "(.)\\g1", "(.)\\g{1}", "(.)(.)\\g{-1}", "(.)(.)\\g-2",
             "(a)?b\\1", "(a)|\\1b", "(?i)(a)\\1", "(\\w+)\\s+\\1", "^(a+)\\1$",
             "(?:(a)|b)\\1", "(a)(?(1)b|c)", "(?:(a)|x)(?(1)b|c)", "(?<n>a)?(?(<n>)b|c)",
             "(?<n>a)?(?('n')b|c)", "(?:(a)|x)(?(1)b)", "^(\\((?:[^()]|(?1))*\\))$",
             "^(a|b(?1)c)$", "(?<p>x(?&p)?y)", "a(?R)?b", "(\\d)(?-1)", "(?+1)(\\d)",
             "(?(R)a|b(?R)?)", "(?(DEFINE)(?<d>\\d))(?&d)+", "(a)\\g<1>", "(?<w>b)\\g'w'"],
      ["aa", "ab", "bb", "abab", "aab", "aaa", "b", "ab ab", "hello hello world", "aAaa",
       "aaaa", "(a(b)c)", "((a)", "abbcc", "bac", "bbacc", "xxyy", "xy", "aabb", "12", "c",
       "xc", "bab", "123"],
      [[], [global]]}].

options() ->
    Pats = ["abc", "^b", "c$", "a.c", "A B C", "a+", "(a)|(b)", "\\w+", "^$", "b\\Z",
            ".", "x#c\nb"],
    Subj = ["abc", "ABC", "a\nb\nc", "a\nbc\n", "A\nBC", "xabc", "aaa", "", "x\r\nb", "ab"],
    Opts = [[caseless], [multiline], [dotall], [extended], [anchored], [dollar_endonly],
            [ungreedy], [no_auto_capture], [firstline], [notbol], [noteol], [notempty],
            [notempty_atstart], [{offset, 1}], [{offset, 2}, anchored], [{offset, 0}],
            [bsr_anycrlf], [bsr_unicode], [{newline, cr}], [{newline, lf}],
            [{newline, crlf}], [{newline, anycrlf}], [{newline, any}],
            [{match_limit, 100000}], [{match_limit_recursion, 100000}], [report_errors],
            [caseless, multiline, global], [global, notempty], [global, {offset, 1}],
            [ucp], [unicode, ucp], [dupnames], [{capture, none}], [{capture, []}],
            [{capture, first}], [{capture, first, list}], [{capture, all_but_first, binary}],
            [{capture, [0, 1, 2]}], [{capture, [2], binary}], [{capture, [1], list}]],
    [{grid, Pats, Subj, Opts},
     {grid, ["", "a*", "x*", "(?=a)", "\\b", "^", "$"], ["", "abc", "aab"],
      [[notempty], [notempty_atstart], [global], [notempty, global], [notempty_atstart, global],
       [{offset, 3}], [{offset, 1}, notempty_atstart]]},
     {grid, ["\\R", "\\R+", "a\\Rb", "\\v", "\\h"],
      ["a\r\nb", "a\rb", "a\nb", "a\x0bb", "a\x0cb", "a\x85b", "a\tb", "a b", <<"a", 16#85, "b">>],
      [[], [bsr_anycrlf], [bsr_unicode], [global]]},
     {grid, ["(*CR)a.b", "(*LF)a$", "(*CRLF)(?m)^b", "(*ANYCRLF)a.", "(*ANY)a.",
             "(*BSR_ANYCRLF)\\R", "(*UCP)\\w+", "(*UTF8)."],
      ["a\rb", "a\nb", "a\r\nb", "a\n", <<"a", 16#c3, 16#a9>>],
      [[], [global]]}].

captures() ->
    Pats = ["(?<year>\\d{4})-(?<month>\\d\\d)(-(?<day>\\d\\d))?",
            "(?<a>x)|(?<b>y)", "(a)(b)?(c)?", "(?<z>z)?(?<a>a)", "no(groups)?"],
    Subj = ["2024-05-17", "2024-05", "y", "x", "ab", "a", "za", "nothing", "no"],
    Caps = [all, all_but_first, first, none, all_names, [], [0], [1, 0], [3, 2, 1], [7],
            [-1], [year, day], ["month"], [<<"year">>], [a, b], [b, a], [z, a], [nope],
            ["a", 1]],
    [{grid, Pats, Subj,
      [[{capture, C, T}] || C <- Caps, T <- [index, list, binary]] ++
          [[{capture, C}, global] || C <- Caps] ++
          [[{capture, C, binary}, global] || C <- [all, all_names, [1]]]},
     {grid, ["(?<n>a)|(?<n>b)", "(?<n>a)(?<n>b)?", "(?<m>x)?(?<n>a)|(?<n>b)"],
      ["a", "b", "ab", "xa", "c"],
      [[dupnames, {capture, [n], index}], [dupnames, {capture, all_names, list}],
       [dupnames, {capture, all, binary}], [dupnames, global, {capture, [n], binary}]]},
     {inspect, "(?<n>a)(?<m>b)", []},
     {inspect, "(?<n>a)|(?<n>b)", [dupnames]},
     {inspect, "abc", []},
     {inspect, <<"(?<zeta>a)(?<alpha>b)"/utf8>>, [unicode]},
     {compiled, "(?<y>\\d+)", [], ["12 34", "x"], [{capture, [y], binary}]},
     {compiled, "a(b)?", [caseless], ["AB", "a", "x"], []},
     {compiled, "a(b)?", [caseless], ["AB", "a"], [global]},
     {compiled, "a(b)?", [caseless], ["AB"], [caseless]},
     {compiled, "a(b)?", [], ["ab"], [{capture, all, list}, global]},
     {compiled, "^a", [multiline], ["b\na"], [{newline, lf}]},
     {compiled, ".", [{newline, crlf}], ["\r\n"], [global]},
     {compiled, "x", [], ["axbx"], [{offset, 2}, {capture, first}]},
     {compiled, "é", [unicode], [<<"café"/utf8>>, "café", [<<"caf">>, 233]], []},
     {compiled, "\\w+", [unicode, ucp], [<<"naïve café"/utf8>>], [global, {capture, all, list}]},
     {roundtrip, "(a)(b)", [], "xab"},
     {roundtrip, "\\d+", [unicode, caseless], "x12"},
     {compile, "(a)(b)(c)", []},
     {compile, "(?<n>a)", [unicode]},
     {compile, "a", [{newline, crlf}]},
     {compile, "a", [{newline, any}]},
     {compile, "a", [{newline, anycrlf}]},
     {compile, "a", [{newline, cr}]},
     {compile, "(*CRLF)a", []},
     {compile, ["a", [$b, <<"c">>]], []},
     {compile, <<"a">>, [global]},
     {compile, "a", [foo]},
     {compile, "a", [{offset, 1}]},
     {compile, "a", [caseless | x]},
     {compile, 'atom', []},
     {compile, [256], []},
     {compile, [256], [unicode]},
     {compile, "a", [no_start_optimize, never_utf]}].

unicode() ->
    Pats = [<<".">>, <<"\\w+">>, <<"[é]">>, <<"é+"/utf8>>, <<"\\x{e9}">>, <<"\\x{1F600}">>,
            <<"[^a]">>, <<"\\p{L}+">>, <<"\\p{Lu}">>, <<"\\p{Ll}+">>, <<"\\P{L}+">>,
            <<"\\p{N}+">>, <<"\\p{Nd}">>, <<"\\p{Greek}+">>, <<"\\p{Cyrillic}+">>,
            <<"\\p{Han}+">>, <<"\\p{Latin}+">>, <<"\\p{Zs}">>, <<"\\p{P}+">>, <<"\\p{S}">>,
            <<"\\pL">>, <<"\\p{^L}">>, <<"\\X">>, <<"\\p{Xan}+">>, <<"\\p{Xwd}+">>,
            <<"ÉCOLE"/utf8>>, <<"[à-ÿ]+"/utf8>>, <<"\\bcafé\\b"/utf8>>, <<"\\d+">>, <<"\\s">>,
            <<"(?i)straße"/utf8>>, <<"(?i)σ"/utf8>>, <<"[[:alpha:]]+">>, <<"\\h">>, <<"\\R">>],
    Subj = [<<"café"/utf8>>, <<"École Élan"/utf8>>, <<"ΑΒΓ αβγ"/utf8>>, <<"Привет мир"/utf8>>,
            <<"日本語テキスト"/utf8>>, <<"a😀b"/utf8>>, <<"12٣४5"/utf8>>, <<"x\u00a0y"/utf8>>,
            <<"e\u0301x"/utf8>>, <<"¡Hola!"/utf8>>, <<"1 + 2 = 3 €"/utf8>>, <<"école"/utf8>>,
            <<"STRASSE straße"/utf8>>, <<"ΣΑΣ σας"/utf8>>, <<"a\u2028b"/utf8>>],
    [{grid, Pats, Subj, [[unicode], [unicode, ucp], [unicode, caseless], [unicode, global]]},
     {grid, [<<"\\w+">>, <<"\\d">>, <<"\\s+">>, <<"\\b\\w">>, <<"[[:alpha:]]+">>, <<"[[:digit:]]">>],
      [<<"naïve ÉLAN"/utf8>>, <<"١٢٣ 42"/utf8>>, <<"a\u2003b"/utf8>>],
      [[unicode], [unicode, ucp], [unicode, ucp, global]]},
     %% Lists of characters in unicode mode go through re:urun/3.
     {grid, ["é+", "\\w+", "."], ["café", [$a, 16#1F600, $b], [<<"a">>, 233]],
      [[unicode], [unicode, {capture, all, list}], [unicode, global, {capture, all, list}],
       [unicode, {capture, all, binary}]]},
     %% Byte mode on Latin-1 and UTF-8 bytes.
     {grid, [".", "\\w+", "[\\x80-\\xff]+", "caf.", "(?i)É", "\\xe9"],
      [<<"café">>, <<"café"/utf8>>, "café"],
      [[], [caseless], [global]]},
     %% Invalid UTF-8 and offsets inside a character.
     {run, <<255, 254>>, ".", [unicode]},
     {run, <<"a", 16#c3>>, ".", [unicode]},
     {run, <<"aé"/utf8>>, ".", [unicode, {offset, 2}]},
     {run, <<"aé"/utf8>>, ".", [unicode, {offset, 1}]},
     {run, <<"aé"/utf8>>, ".", [unicode, {offset, 3}]},
     {run, <<"abc">>, "b", [{offset, 3}]},
     {run, <<"abc">>, "b", [{offset, -1}]},
     {compile, <<255>>, [unicode]},
     {compile, <<"a", 16#e9>>, [unicode]},
     {compile, "\\x{100}", []},
     {compile, "\\x{100}", [unicode]},
     {compile, "\\x{d800}", [unicode]}].

errors() ->
    Pats = ["a(", "a)", "*a", "a**", "[a", "[z-a]", "(?<n>a)(?<n>b)", "\\", "a{2,1}",
            "(?z)", "\\k", "\\g", "(?P<n", "[[:foo:]]", "a{99999}", "\\x{110000}",
            "(?<=a+)b", "\\c", "(?(2)a|b)", "\\L", "\\l", "\\U", "\\u", "(?", "(?<", "(?P=n)",
            "\\k<n>", "(?&n)", "(?1)", "\\2", "(a)\\2", "^*", "$*", "\\b*", "x{2}{3}", "(*FOO)",
            "(?#abc", "\\p{Foo}", "\\p", "(?i", "a|*", "(|*)", "(?(?=a)b|c|d)", "(?(1",
            "(?<=a(b|cd))e", "(?-1)", "(?+1)", "\\N{x}", "[a-\\d]", "(?'n'x)(?'n'y)",
            "x+++", "a{1,2}?+", "((a)", "(a))", "[", "[]", "[^]", "(?<1a>x)", "(?<>x)",
            "\\g{0}", "\\g0", "(?P>n)", "a{1,2", "(?<=x|yy)z", "(?<=a\\d+)"],
    [{grid, Pats, ["abc"], [[], [report_errors]]}]
        ++ [{compile, P, []} || P <- Pats]
        ++ [{compile, P, [unicode]} || P <- ["(", "[é", <<"(é"/utf8>>, <<"é)"/utf8>>]]
        ++ [{run, "abc", "b", O} || O <- [[foo], [{capture, all, foo}], [{capture, foo}],
                                           [{capture, [1.5]}], [{offset, x}], [{newline, foo}],
                                           [{match_limit, -1}], [global | x]]]
        ++ [{run, S, "b", []} || S <- [abc, 12, [a], [256], <<1:3>>, {x}]]
        ++ [{run, "abc", P, []} || P <- [abc, 12, {re_pattern, 1}, {re_pattern, 0, 0, 0, <<"junk">>}]].

real_world() ->
    Pats = ["^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$",
            "^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$",
            "^-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?$",
            "^(\\d{4})-(\\d{2})-(\\d{2})(?:T(\\d{2}):(\\d{2}):(\\d{2}))?",
            "^[A-Za-z_][A-Za-z0-9_]*$",
            "^\\s*$",
            "^\\s+|\\s+$",
            "\\s+",
            ",",
            "(\"([^\"]*)\"|[^,]*)(,|$)",
            "^(\\w+)=(.*)$",
            "https?://[^\\s/$.?#].[^\\s]*",
            "#[0-9a-fA-F]{6}\\b",
            "\\$\\{(\\w+)\\}",
            "<([a-z]+)([^<]+)*(?:>(.*)<\\/\\1>|\\s+\\/>)",
            "^(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)$",
            "[aeiou]",
            "(\\w)(\\w*)",
            "^v?(\\d+)\\.(\\d+)\\.(\\d+)(?:-([\\w.]+))?$",
            "^([^:]+):(\\d+)$",
            "%[-+ #0]*\\d*(?:\\.\\d+)?[sdfx]",
            "\\b(\\w+)\\b(?=.*\\b\\1\\b)"],
    Subj = ["user.name+tag@example.co.uk", "not an email", "192.168.1.254", "256.1.1.1",
            "-12.5e+3", "42", "3.", "2024-01-31T12:34:56", "2024-01-31", "_valid_ident9",
            "9invalid", "   ", "  padded text  ", "a,b,,\"c,d\",e", "key=value=more",
            "see https://example.com/path?q=1 now", "color: #1a2B3c;", "${HOME}/bin",
            "<div class=\"x\">hi</div>", "<br />", "v1.22.3-rc.1", "localhost:8080",
            "%5.2f and %s", "the cat and the hat and the cat"],
    [{grid, Pats, Subj, [[], [global], [{capture, all, binary}]]}].

elixir() ->
    %% Patterns from Elixir 1.14's own modules (URI, Mix, ExUnit, ...),
    %% with the options their ~r sigils carry.
    Pats = [{"#[\\w\\.]+<", []},
            {"(?<!\\\\)\\|", []},
            {"(?<head>)\\$[a-z]+(?<tail>)", []},
            {"(^(.*)@)?(\\[[a-zA-Z0-9:.]*\\]|[^:]*)(:(\\d*))?", []},
            {"[:\\ -]\\|[:\\ -]", []},
            {"[a-z][a-z0-9\\+\\-\\.]*://\\S*", [caseless]},
            {"\\[([^\\]]*?)\\]\\((.*?)\\)", []},
            {"^(([a-z][a-z0-9\\+\\-\\.]*):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?", [caseless]},
            {"^[A-Z]\\w*(\\.[A-Z]\\w*)*$", []},
            {"^[a-z][a-z0-9_]*$", []},
            {"\\s+", [unicode]},
            {"[[:space:]]+", [unicode, ucp]}],
    Subj = ["#Function<1.2/3 in x>", "a|b\\|c", "$foo and $bar", "user:pw@host:8080",
            "[::1]:4000", "| :--- | ---: |", "visit HTTP://Elixir-lang.org/docs now",
            "[link](http://x.y) and [b](c)", "https://user@example.com:443/p/a?q=1&r=2#frag",
            "Elixir.Foo.Bar", "foo_bar2", "Foo.bar", " hello   world\t\n", ""],
    [{grid, [P], Subj, [O ++ X || X <- [[], [global], [{capture, all, binary}]]]}
     || {P, O} <- Pats].

replace() ->
    Subj = ["abcabc", "hello world", "aaa", "", "a.b.c", "2024-05-17", "foo  bar baz"],
    [{replace_grid, Subj, "b", ["X", "[&]", "\\0\\0", "\\\\", "\\&", "", "<\\1>"],
      [[], [global], [{return, list}], [{return, binary}, global]]},
     {replace_grid, Subj, "(\\w)(\\w)?", ["\\2\\1", "\\g{1}-\\g2", "\\g{10}", "\\9", "&&", "[\\g1]0"],
      [[], [global, {return, binary}], [{return, list}, global]]},
     {replace_grid, Subj, "", ["-"], [[global, {return, binary}], [{return, list}]]},
     {replace_grid, Subj, "\\s+", [" "], [[global, {return, list}]]},
     {replace_grid, Subj, "(\\d+)-(\\d+)-(\\d+)", ["\\3/\\2/\\1"], [[{return, list}]]},
     {replace_grid, Subj, "(?<x>o)", ["0"], [[global, {return, binary}, caseless]]},
     {replace_grid, [<<"café crème"/utf8>>, "naïve"], "é|è|ï", ["e"],
      [[unicode, global, {return, binary}], [unicode, global, {return, list}]]},
     {replace, "abc", "b", "x", [{capture, all}]},
     {replace, "abc", "b", "x", [report_errors]},
     {replace, "abc", "b", "x", [{return, foo}]},
     {replace, "abc", "(", "x", []},
     {replace, "abc", "b", "x", [notempty, {offset, 1}, {return, list}]},
     {replace, "a\nb", "^", ">", [multiline, global, {return, list}]},
     {replace, "aaa", "a*?", "-", [global, {return, list}]},
     {replace, "abc", "x*", "-", [global, {return, list}]},
     {replace, "a\r\nb", "", "-", [global, {newline, crlf}, {return, list}]},
     {replace, <<"añb"/utf8>>, "", "-", [global, unicode, {return, list}]}].

split() ->
    Subj = ["a b  c", " a b ", "a,b,,c,,", "", "abc", "1-2-3", "  "],
    [{split_grid, Subj, [" ", "\\s+", ",", "(,)", "", "x", "(-)|(,)", "\\b", "(?<=,)"],
      [[], [trim], [{parts, 2}], [{parts, 0}], [{parts, infinity}], [group],
       [{return, list}], [{return, binary}, trim], [group, trim, {return, list}],
       [{parts, 3}, group]]},
     {split, <<"é,ü,ñ"/utf8>>, ",", [unicode, {return, list}]},
     {split, "a1b2c3", "\\d", [{return, list}, trim]},
     {split, "a b", " ", [global]},
     {split, "a b", " ", [{capture, all}]},
     {split, "a b", " ", [{parts, -1}]},
     {split, "a b", " ", [{return, x}]},
     {split, "a b", "(", []},
     {split, "a\nb\nc", "^", [multiline, {return, list}]},
     {split, "aXbxc", "x", [caseless, {return, list}]},
     {split, "abc", "", [{return, list}, {parts, 2}]}].

misc() ->
    Long = lists:duplicate(5000, $a) ++ "b",
    Deep = lists:duplicate(300, $() ++ "a" ++ lists:duplicate(300, $)),
    [{run, Long, "a*b", []},
     {run, Long, "(a|b)*b", []},
     {run, Long, "(?:a|b)*?b", [{capture, none}]},
     {run, Long, "(a)*b", []},
     {run, Long, "(?:(a)|(b))+", [{capture, [1, 2]}]},
     {run, Long, "^(a+)+$", []},
     {run, lists:duplicate(30, $a) ++ "c", "(a+)+b", []},
     {run, lists:duplicate(30, $a) ++ "c", "(a+)+b", [report_errors, {match_limit, 1000}]},
     {run, "aaaaaaaaaaaaaaaaaaaa!", "^(\\w+\\s?)*$", [report_errors]},
     {run, "x", Deep, []},
     {run, "a", Deep, []},
     {run, lists:duplicate(3000, "ab"), "(ab)+", [{capture, first}]},
     {run, "abc", "", []},
     {run, "abc", <<>>, [global]},
     {run, ["ab", <<"c">>, [$d]], "bcd", []},
     {run, <<"abc">>, ["b", <<"c">>], []},
     {run, "abc", "B", [caseless, {capture, all, list}]},
     {run, "abc", "b"},
     {run, "ab", "(?=ab\\K)", []},
     {run, "abab", "(?=(ab\\K))\\1", []},
     {run, "a", lists:duplicate(798, $() ++ "a" ++ lists:duplicate(798, $)), [{capture, [0, 798]}]},
     {compile, lists:duplicate(799, $() ++ "a" ++ lists:duplicate(799, $)), []},
     {run, "a", lists:duplicate(1000, "(?:") ++ "a" ++ lists:duplicate(1000, ")+"), []},
     {run, "aaa", "(a{1000}){1000}", []},
     {run, lists:duplicate(100000, $a), "(?:a(?=a))*", [{capture, first}]},
     {run, "((((()))))", "\\((?R)*\\)", []}]
        ++ [{compile, P, []} || P <- ["(?R)?x", "a|(?R)b", "(?R)", "x(?R)", "(a|(?1))",
                                      "(a(?1)?)", "(?:(?R))*x", "(a?(?1))", "(?1)(a|b(?1))",
                                      "(?=(?R))x", "((?2))((?1))", "(?<n>a|(?&n))"]].
