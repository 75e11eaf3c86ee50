
set edit:completion:arg-completer[awsenv] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) _AWSENV_COMPLETE="elvish" awsenv -- $@words) | to-lines
}

