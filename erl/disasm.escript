#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% The Erlang side of the disassembler's differential test.
%%
%% For each file given, prints what beam_disasm:file/1 returns, in the
%% form `lam-translate dis --format erlang` prints: for every function the
%% line {function,Name,Arity,Entry}, then each instruction as ~w, one per
%% line. With several files, each is introduced by a line "== Path" and a
%% failure is printed as "error: Reason" so that one bad file does not hide
%% the rest.
%%
%% One deliberate deviation from plain ~w: a map with more than 32 keys is
%% a hash map, and ~w lists its keys in hash order. The hash of an atom key
%% is computed from the atom's index in the running VM's atom table, so that
%% order belongs to the erl process that prints it, not to the .beam file.
%% Such maps are printed with their keys in term order instead (small maps
%% already print that way).
-mode(compile).

main(Files) ->
    ok = io:setopts([{encoding, unicode}]),
    Many = length(Files) > 1,
    lists:foreach(fun(F) -> one(F, Many) end, Files).

one(File, Many) ->
    Many andalso io:put_chars(["== ", File, $\n]),
    %% beam_disasm exits (rather than returning an error) on some bad input.
    case catch beam_disasm:file(File) of
        {beam_file, _Mod, _Exports, _Attrs, _CInf, Code} ->
            lists:foreach(fun function/1, Code);
        Error ->
            io:format("error: ~w~n", [Error])
    end.

function({function, Name, Arity, Entry, Is}) ->
    io:format("~w~n", [{function, Name, Arity, Entry}]),
    lists:foreach(fun(I) -> io:put_chars([w(I), $\n]) end, Is).

w(T) ->
    case has_hash_map(T) of
        false -> io_lib:format("~w", [T]);
        true -> sorted(T)
    end.

has_hash_map(M) when is_map(M) ->
    map_size(M) > 32 orelse
        lists:any(fun has_hash_map/1, maps:keys(M) ++ maps:values(M));
has_hash_map(T) when is_tuple(T) -> has_hash_map(tuple_to_list(T));
has_hash_map([H | T]) -> has_hash_map(H) orelse has_hash_map(T);
has_hash_map(_) -> false.

sorted(M) when is_map(M) ->
    Pairs = lists:sort(fun({A, _}, {B, _}) -> key_le(A, B) end, maps:to_list(M)),
    ["#{", lists:join(",", [[sorted(K), " => ", sorted(V)] || {K, V} <- Pairs]), "}"];
sorted(T) when is_tuple(T) ->
    ["{", lists:join(",", [sorted(E) || E <- tuple_to_list(T)]), "}"];
sorted([H | T]) ->
    ["[", sorted(H), tail(T), "]"];
sorted(X) ->
    io_lib:format("~w", [X]).

tail([]) -> "";
tail([H | T]) -> [",", sorted(H), tail(T)];
tail(X) -> ["|", sorted(X)].

%% Term order, with an integer before a float of equal value (as map keys are ordered).
key_le(A, B) when is_integer(A), is_float(B), A == B -> true;
key_le(A, B) when is_float(A), is_integer(B), A == B -> false;
key_le(A, B) -> A =< B.
