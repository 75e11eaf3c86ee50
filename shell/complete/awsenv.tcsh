complete __BIN__ 'p@*@`env __VAR__=tcsh '__COMPLETER__' -- tcsh`@@';
