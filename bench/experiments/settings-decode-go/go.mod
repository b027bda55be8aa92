module settingsdecode

go 1.21
