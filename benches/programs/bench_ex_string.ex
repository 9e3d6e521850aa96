# Elixir's String functions on unicode text: split, upcase, join,
# graphemes, replace.
defmodule :bench_ex_string do
  def run do
    text = String.duplicate("Hello Wörld, the quick brown fox jumps over the lazy dög. ", 1500)
    up = text |> String.split() |> Enum.map(&String.upcase/1) |> Enum.join(" ")
    {String.length(up), length(String.graphemes(text)),
     byte_size(String.replace(text, "fox", "cat")), String.contains?(up, "DÖG")}
  end
end
