# integration scripts
