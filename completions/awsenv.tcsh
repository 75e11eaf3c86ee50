complete 'awsenv' 'p@*@`env _AWSENV_COMPLETE=tcsh ''awsenv'' -- tcsh`@@';
