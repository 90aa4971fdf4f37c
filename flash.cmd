@echo off
rem PeerGate maker tool (Windows): flash nanoFramework, deploy the app, write the configuration and
rem burn the identity into eFuse. flash.sh is the Linux/macOS twin with the same commands and flags.
rem
rem   flash.cmd ^<firmware^|deploy^|config^|identity^|all^> --port COM5 --target TARGET [options]
rem   flash.cmd help
rem
rem --dry-run prints every command and runs nothing. Burning eFuse is irreversible: identity shows a
rem summary first and only goes on after you type the port name or BURN (or pass --confirm with it).
rem See docs\flashing.md and docs\provisioning-hardware.md.

setlocal EnableExtensions EnableDelayedExpansion

set "SCRIPT_DIR=%~dp0"
set "IMAGE=%SCRIPT_DIR%firmware\PeerGate.Device.Esp32\bin\Release\PeerGate.Device.Esp32.bin"
rem Where the application expects its files on I: (BoardConfig defaults), JSON-escaped.
set "DEVICE_CONFIG_PATH=I:\\peergate.conf"
set "DEVICE_KEY_PATH=I:\\peergate.key"
set "DEVICE_CA_PATH=I:\\peergate-ca.pem"

set "COMMAND="
set "PORT="
set "TARGET="
set "DRY_RUN=0"
set "CONFIG_FILE="
set "SERVICE_URL="
set "ALLOCATION_KEYS="
set "GROUP_ID="
set "WIFI_SSID="
set "WIFI_PASSWORD_FILE="
set "KEY_FILE="
set "GENERATE_KEY=0"
set "GROUP_KEY_FILE="
set "DERIVATION=v2"
set "DERIVATION_GIVEN=0"
set "DEVICE_ID="
set "CA_FILE="
set "UDP_SERVER="
set "ALLOW_PLAIN_HTTP=0"
set "BURN_KEY=0"
set "KEY_BLOCK=BLOCK_KEY0"
set "CONFIRM="
set "WORK_DIR="

if "%~1"=="" goto :usage_error
set "COMMAND=%~1"
shift

:parse
if "%~1"=="" goto :parsed
set "OPTION=%~1"
if /i "%OPTION%"=="--dry-run" ( set "DRY_RUN=1" & shift & goto :parse )
if /i "%OPTION%"=="--generate-key" ( set "GENERATE_KEY=1" & shift & goto :parse )
if /i "%OPTION%"=="--burn-key" ( set "BURN_KEY=1" & shift & goto :parse )
if /i "%OPTION%"=="--allow-plain-http" ( set "ALLOW_PLAIN_HTTP=1" & shift & goto :parse )
if /i "%OPTION%"=="--help" goto :usage
if /i "%OPTION%"=="-h" goto :usage
if "%~2"=="" ( call :fail "%OPTION% needs a value" & exit /b 1 )
set "VALUE=%~2"
if /i "%OPTION%"=="--port" ( set "PORT=!VALUE!" & goto :next )
if /i "%OPTION%"=="--target" ( set "TARGET=!VALUE!" & goto :next )
if /i "%OPTION%"=="--work-dir" ( set "WORK_DIR=!VALUE!" & goto :next )
if /i "%OPTION%"=="--image" ( set "IMAGE=!VALUE!" & goto :next )
if /i "%OPTION%"=="--config" ( set "CONFIG_FILE=!VALUE!" & goto :next )
if /i "%OPTION%"=="--service-url" ( set "SERVICE_URL=!VALUE!" & goto :next )
if /i "%OPTION%"=="--allocation-keys" ( set "ALLOCATION_KEYS=!VALUE!" & goto :next )
if /i "%OPTION%"=="--group-id" ( set "GROUP_ID=!VALUE!" & goto :next )
if /i "%OPTION%"=="--wifi-ssid" ( set "WIFI_SSID=!VALUE!" & goto :next )
if /i "%OPTION%"=="--wifi-password-file" ( set "WIFI_PASSWORD_FILE=!VALUE!" & goto :next )
if /i "%OPTION%"=="--key-file" ( set "KEY_FILE=!VALUE!" & goto :next )
if /i "%OPTION%"=="--group-key-file" ( set "GROUP_KEY_FILE=!VALUE!" & goto :next )
if /i "%OPTION%"=="--derivation" ( set "DERIVATION=!VALUE!" & set "DERIVATION_GIVEN=1" & goto :next )
if /i "%OPTION%"=="--device-id" ( set "DEVICE_ID=!VALUE!" & goto :next )
if /i "%OPTION%"=="--ca-file" ( set "CA_FILE=!VALUE!" & goto :next )
if /i "%OPTION%"=="--udp-server" ( set "UDP_SERVER=!VALUE!" & goto :next )
if /i "%OPTION%"=="--key-block" ( set "KEY_BLOCK=!VALUE!" & goto :next )
if /i "%OPTION%"=="--confirm" ( set "CONFIRM=!VALUE!" & goto :next )
call :fail "unknown option %OPTION% (see flash.cmd help)"
exit /b 1

:next
shift
shift
goto :parse

:parsed
rem Checked before any step runs, so "all" never flashes a board whose settings would be refused.
if not "%UDP_SERVER%"=="" call :is_udp_server || ( call :fail "--udp-server must be IPv4:PORT (port 1 to 65535), e.g. 192.0.2.10:5090" & exit /b 1 )
set "NEW_CONF_FLAGS=0"
if not "%UDP_SERVER%"=="" set "NEW_CONF_FLAGS=1"
if "%ALLOW_PLAIN_HTTP%"=="1" set "NEW_CONF_FLAGS=1"
if not "%CONFIG_FILE%"=="" if "%NEW_CONF_FLAGS%"=="1" ( call :fail "--udp-server and --allow-plain-http write a generated peergate.conf; with --config put UdpServer and AllowPlainHttp in %CONFIG_FILE%" & exit /b 1 )
if "%DRY_RUN%"=="1" echo dry run: printing commands only; nothing is run or written

if /i "%COMMAND%"=="help" goto :usage
if /i "%COMMAND%"=="firmware" ( call :step_firmware & exit /b !ERRORLEVEL! )
if /i "%COMMAND%"=="deploy" ( call :step_deploy & exit /b !ERRORLEVEL! )
if /i "%COMMAND%"=="config" ( call :step_config & exit /b !ERRORLEVEL! )
if /i "%COMMAND%"=="identity" ( call :step_identity & exit /b !ERRORLEVEL! )
if /i "%COMMAND%"=="all" goto :all
call :fail "unknown command %COMMAND%"
goto :usage_error

:all
call :step_firmware || exit /b 1
call :step_deploy || exit /b 1
call :step_config || exit /b 1
if not "%DEVICE_ID%"=="" ( call :step_identity & exit /b !ERRORLEVEL! )
if "%BURN_KEY%"=="1" ( call :step_identity & exit /b !ERRORLEVEL! )
echo == identity: skipped (no --device-id or --burn-key); the factory MAC is the Device ID
exit /b 0

rem ---------------------------------------------------------------------------------------------
rem Steps

:step_firmware
call :require_port || exit /b 1
call :require_target || exit /b 1
call :check_nanoff || exit /b 1
echo == firmware: nanoFramework %TARGET% on %PORT%
call :run nanoff --target %TARGET% --serialport %PORT% --update
exit /b %ERRORLEVEL%

:step_deploy
call :require_port || exit /b 1
call :require_target || exit /b 1
call :check_nanoff || exit /b 1
if "%DRY_RUN%"=="0" if not exist "%IMAGE%" ( call :fail "no %IMAGE%: build firmware\PeerGate.Device.Esp32 first (docs\flashing.md)" & exit /b 1 )
echo == deploy: %IMAGE%
call :run nanoff --target %TARGET% --serialport %PORT% --deploy --image "%IMAGE%"
exit /b %ERRORLEVEL%

:step_config
call :require_port || exit /b 1
call :check_nanoff || exit /b 1
call :ensure_work_dir || exit /b 1
echo == config: files for I: and Wi-Fi (work folder %WORK_DIR%)
call :prepare_key || exit /b 1

set "CONF=%WORK_DIR%\peergate.conf"
if not "%CONFIG_FILE%"=="" (
    if "%DRY_RUN%"=="0" if not exist "%CONFIG_FILE%" ( call :fail "no config file %CONFIG_FILE%" & exit /b 1 )
    set "CONF=%CONFIG_FILE%"
) else (
    if "%SERVICE_URL%"=="" ( call :fail "config needs --config FILE or --service-url and --allocation-keys" & exit /b 1 )
    if "%ALLOCATION_KEYS%"=="" ( call :fail "config needs --allocation-keys (level 1 first)" & exit /b 1 )
    if /i not "!SERVICE_URL:~0,7!"=="http://" if /i not "!SERVICE_URL:~0,8!"=="https://" ( call :fail "--service-url must start with http:// or https://" & exit /b 1 )
    if /i "!SERVICE_URL:~0,7!"=="http://" if "%ALLOW_PLAIN_HTTP%"=="0" echo warning: the board refuses a plain http:// server on another host without --allow-plain-http ^(lab only^) 1>&2
    if "%ALLOW_PLAIN_HTTP%"=="1" echo warning: --allow-plain-http: lab only; the board will talk to plain http:// servers without TLS 1>&2
    if "%DRY_RUN%"=="1" (
        echo + write !CONF! ^(peergate.conf^)
        call :conf_lines "    "
    ) else (
        > "!CONF!" call :conf_lines ""
        echo + wrote !CONF! ^(peergate.conf^)
    )
)

set "FILES=%WORK_DIR%\files.json"
set "J_PORT=%PORT%"
set "J_CONF=!CONF:\=\\!"
set "J_KEY=!KEY_FILE:\=\\!"
set "J_CA=!CA_FILE:\=\\!"
set "ENTRIES={"DestinationFilePath":"%DEVICE_CONFIG_PATH%","SourceFilePath":"!J_CONF!"}"
if not "%KEY_FILE%"=="" set "ENTRIES=!ENTRIES!,{"DestinationFilePath":"%DEVICE_KEY_PATH%","SourceFilePath":"!J_KEY!"}"
if not "%CA_FILE%"=="" set "ENTRIES=!ENTRIES!,{"DestinationFilePath":"%DEVICE_CA_PATH%","SourceFilePath":"!J_CA!"}"
if "%DRY_RUN%"=="1" (
    echo + write !FILES! ^(file deployment list^)
) else (
    > "!FILES!" echo {"SerialPort":"!J_PORT!","Files":[!ENTRIES!]}
    echo + wrote !FILES! ^(file deployment list^)
)
call :run nanoff --filedeployment "%FILES%" || exit /b 1

if "%WIFI_SSID%"=="" exit /b 0
if "%WIFI_PASSWORD_FILE%"=="" ( call :fail "--wifi-ssid needs --wifi-password-file" & exit /b 1 )
set "NETWORK=%WORK_DIR%\network.json"
if "%DRY_RUN%"=="1" (
    echo + write !NETWORK! ^(Wi-Fi settings; holds the password, deleted after use^)
) else (
    if not exist "%WIFI_PASSWORD_FILE%" ( call :fail "no password file %WIFI_PASSWORD_FILE%" & exit /b 1 )
    set /p WIFI_PASSWORD=<"%WIFI_PASSWORD_FILE%"
    > "!NETWORK!" echo {"WirelessClient":{"SSID":"!WIFI_SSID!","Password":"!WIFI_PASSWORD!"}}
    set "WIFI_PASSWORD="
    echo + wrote !NETWORK! ^(Wi-Fi settings; holds the password, deleted after use^)
)
call :run nanoff --serialport %PORT% --networkdeployment "%NETWORK%"
set "RESULT=%ERRORLEVEL%"
if "%DRY_RUN%"=="0" del /q "%NETWORK%" 2>nul
exit /b %RESULT%

:prepare_key
rem The message the group key signs is the one the server builds: AuthProofs.GroupDerivationMessage.
if "%DERIVATION_GIVEN%"=="1" if "%GROUP_KEY_FILE%"=="" ( call :fail "--derivation needs --group-key-file" & exit /b 1 )
if not "%GROUP_KEY_FILE%"=="" (
    if "%KEY_FILE%"=="" ( call :fail "--group-key-file needs --key-file (where the derived key is written)" & exit /b 1 )
    call :is_device_id || ( call :fail "--group-key-file needs --device-id: 12 to 64 upper-case hex digits" & exit /b 1 )
    if /i not "%DERIVATION%"=="v1" if /i not "%DERIVATION%"=="v2" ( call :fail "--derivation must be v1 or v2" & exit /b 1 )
    if /i "%DERIVATION%"=="v2" (
        echo + derive %KEY_FILE% = HMAC-SHA256^(group key, "PeerGate-device-key-v2" 0x00 "%DEVICE_ID%"^) ^(derivation v2^)
    ) else (
        echo + derive %KEY_FILE% = HMAC-SHA256^(group key, "%DEVICE_ID%"^) ^(derivation v1^)
    )
    if "%DRY_RUN%"=="0" (
        powershell -NoProfile -Command "$g=[IO.File]::ReadAllBytes($env:GROUP_KEY_FILE); if($g.Length -ne 32){exit 1}; $p=''; if($env:DERIVATION -eq 'v2'){$p='PeerGate-device-key-v2'+[char]0}; $h=New-Object Security.Cryptography.HMACSHA256(,$g); [IO.File]::WriteAllBytes($env:KEY_FILE, $h.ComputeHash([Text.Encoding]::ASCII.GetBytes($p+$env:DEVICE_ID)))" || ( call :fail "the group key file must hold exactly 32 bytes" & exit /b 1 )
    )
) else if "%GENERATE_KEY%"=="1" (
    if "%KEY_FILE%"=="" ( call :fail "--generate-key needs --key-file (where the new key is written)" & exit /b 1 )
    if "%DRY_RUN%"=="0" if exist "%KEY_FILE%" ( call :fail "%KEY_FILE% exists; refusing to overwrite a Device Key" & exit /b 1 )
    echo + generate %KEY_FILE% ^(32 random bytes; enroll this key on the server^)
    if "%DRY_RUN%"=="0" (
        powershell -NoProfile -Command "$b=New-Object byte[] 32; [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($b); [IO.File]::WriteAllBytes($env:KEY_FILE, $b)" || exit /b 1
    )
)
if "%KEY_FILE%"=="" exit /b 0
if "%DRY_RUN%"=="1" exit /b 0
call :check_key_length || exit /b 1
exit /b 0

:step_identity
call :require_port || exit /b 1
call :require_target || exit /b 1
if "%DEVICE_ID%"=="" if "%BURN_KEY%"=="0" ( call :fail "identity needs --device-id HEX and/or --burn-key" & exit /b 1 )
call :find_espefuse || exit /b 1
call :ensure_work_dir || exit /b 1
call :classify_target
if "%HAS_HMAC%"=="1" ( set "BLOCK=BLOCK_USR_DATA" ) else ( set "BLOCK=BLOCK3" )

if not "%DEVICE_ID%"=="" (
    call :is_device_id || ( call :fail "--device-id must be 12 to 64 upper-case hex digits (an even count)" & exit /b 1 )
    if "%HAS_HMAC%"=="0" if not "!DEVICE_ID:~48,1!"=="" ( call :fail "on the original ESP32 use at most 24 bytes (48 hex digits): BLOCK3 under 3/4 coding holds 24" & exit /b 1 )
)
if "%BURN_KEY%"=="1" (
    if "%HAS_HMAC%"=="0" ( call :fail "%TARGET% has no HMAC peripheral: keep the Device Key in the flash file (config --key-file)" & exit /b 1 )
    if "%KEY_FILE%"=="" ( call :fail "--burn-key needs --key-file" & exit /b 1 )
    if "%DRY_RUN%"=="0" ( call :check_key_length || exit /b 1 )
    echo %KEY_BLOCK%| findstr /r /x "BLOCK_KEY[0-5]" >nul || ( call :fail "--key-block must be BLOCK_KEY0 .. BLOCK_KEY5" & exit /b 1 )
)

echo == identity: eFuse on %PORT% (%TARGET%)
echo Current eFuse state (check that the blocks below are still empty):
call :run %ESPEFUSE% -p %PORT% summary || exit /b 1
echo.
echo About to burn, IRREVERSIBLY:
if not "%DEVICE_ID%"=="" (
    echo   - Device ID %DEVICE_ID% into !BLOCK!, then write-protect !BLOCK!
    echo     ^(never read-protected: the firmware must be able to read it^)
)
if "%BURN_KEY%"=="1" (
    echo   - the 32-byte Device Key from %KEY_FILE% into %KEY_BLOCK%, purpose HMAC_UP
    echo     ^(read-protected by espefuse: only the HMAC peripheral can use it afterwards^)
)
call :confirm_burn || exit /b 1

if not "%DEVICE_ID%"=="" (
    set "ID_FILE=%WORK_DIR%\device-id.bin"
    if "%DRY_RUN%"=="1" (
        echo + write !ID_FILE! ^(Device ID^)
    ) else (
        powershell -NoProfile -Command "$h=$env:DEVICE_ID; $b=New-Object byte[] ($h.Length/2); for($i=0;$i -lt $b.Length;$i++){$b[$i]=[Convert]::ToByte($h.Substring(2*$i,2),16)}; [IO.File]::WriteAllBytes($env:ID_FILE, $b)" || exit /b 1
        echo + wrote !ID_FILE! ^(Device ID^)
    )
    call :run %ESPEFUSE% -p %PORT% burn_block_data !BLOCK! "!ID_FILE!" || exit /b 1
    call :run %ESPEFUSE% -p %PORT% write_protect_efuse !BLOCK! || exit /b 1
)
if "%BURN_KEY%"=="1" (
    call :run %ESPEFUSE% -p %PORT% burn_key %KEY_BLOCK% "%KEY_FILE%" HMAC_UP || exit /b 1
)
exit /b 0

rem ---------------------------------------------------------------------------------------------
rem Helpers

rem Prints a command the way it would run, then runs it unless --dry-run.
:run
echo + %*
if "%DRY_RUN%"=="1" exit /b 0
%*
exit /b %ERRORLEVEL%

:confirm_burn
set "ANSWER=%CONFIRM%"
if "%ANSWER%"=="" if "%DRY_RUN%"=="1" ( echo ^(dry run: would ask you to type %PORT% or BURN^) & exit /b 0 )
if "%ANSWER%"=="" set /p "ANSWER=Type the port name (%PORT%) or BURN to burn these eFuses forever: "
if "%ANSWER%"=="%PORT%" exit /b 0
if "%ANSWER%"=="BURN" exit /b 0
call :fail "not confirmed; nothing was burned"
exit /b 1

rem The generated peergate.conf (no secrets in it), each line after the prefix %1.
:conf_lines
echo %~1# written by flash.cmd config
echo %~1ServiceUrl=!SERVICE_URL!
echo %~1AllocationKeys=!ALLOCATION_KEYS!
if not "!GROUP_ID!"=="" echo %~1GroupId=!GROUP_ID!
if not "!UDP_SERVER!"=="" echo %~1UdpServer=!UDP_SERVER!
if "!ALLOW_PLAIN_HTTP!"=="1" echo %~1# lab only: plain http:// to servers on other hosts
if "!ALLOW_PLAIN_HTTP!"=="1" echo %~1AllowPlainHttp=true
exit /b 0

:classify_target
set "HAS_HMAC=0"
for %%P in (ESP32_S2 ESP32_S3 ESP32_C3 ESP32_C5 ESP32_C6 ESP32_H2 ESP32_P4) do (
    if /i "!TARGET:~0,8!"=="%%P" set "HAS_HMAC=1"
)
exit /b 0

:is_device_id
powershell -NoProfile -Command "if ($env:DEVICE_ID -cmatch '^([0-9A-F]{2}){6,32}$') { exit 0 } else { exit 1 }"
exit /b %ERRORLEVEL%

:is_udp_server
powershell -NoProfile -Command "if ($env:UDP_SERVER -cmatch '^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2}):([1-9][0-9]{0,4})\z' -and [int]$Matches[1] -le 255 -and [int]$Matches[2] -le 255 -and [int]$Matches[3] -le 255 -and [int]$Matches[4] -le 255 -and [int]$Matches[5] -ge 1 -and [int]$Matches[5] -le 65535) { exit 0 } else { exit 1 }"
exit /b %ERRORLEVEL%

:check_key_length
if not exist "%KEY_FILE%" ( call :fail "no Device Key file %KEY_FILE%" & exit /b 1 )
for %%A in ("%KEY_FILE%") do if not "%%~zA"=="32" ( call :fail "%KEY_FILE% must hold exactly 32 bytes" & exit /b 1 )
exit /b 0

:require_port
if "%PORT%"=="" ( call :fail "--port is required (nanoff --listports shows the ports)" & exit /b 1 )
exit /b 0

:require_target
if "%TARGET%"=="" ( call :fail "--target is required, e.g. ESP32_REV3, ESP32_S3_QUAD, ESP32_C3" & exit /b 1 )
echo %TARGET%| findstr /r /x "[A-Z0-9_]*" >nul || ( call :fail "--target must look like ESP32_S3_QUAD" & exit /b 1 )
exit /b 0

:check_nanoff
where nanoff >nul 2>nul && exit /b 0
if "%DRY_RUN%"=="1" ( echo warning: nanoff is not installed: dotnet tool install -g nanoff 1>&2 & exit /b 0 )
call :fail "nanoff is not installed: dotnet tool install -g nanoff"
exit /b 1

rem esptool v4 installs espefuse.py, v5 installs espefuse; both accept the commands used here.
:find_espefuse
set "ESPEFUSE="
where espefuse >nul 2>nul && set "ESPEFUSE=espefuse"
if "%ESPEFUSE%"=="" where espefuse.py >nul 2>nul && set "ESPEFUSE=espefuse.py"
if not "%ESPEFUSE%"=="" exit /b 0
if "%DRY_RUN%"=="1" ( echo warning: espefuse is not installed: py -m pip install esptool 1>&2 & set "ESPEFUSE=espefuse.py" & exit /b 0 )
call :fail "espefuse is not installed: py -m pip install esptool"
exit /b 1

:ensure_work_dir
if not "%WORK_DIR%"=="" (
    if "%DRY_RUN%"=="0" if not exist "%WORK_DIR%" mkdir "%WORK_DIR%"
    exit /b 0
)
if "%DRY_RUN%"=="1" ( set "WORK_DIR=%TEMP%\peergate-flash.DRYRUN" & exit /b 0 )
set "WORK_DIR=%TEMP%\peergate-flash.%RANDOM%%RANDOM%"
mkdir "%WORK_DIR%" || exit /b 1
exit /b 0

:fail
echo flash.cmd: %~1 1>&2
exit /b 1

:usage_error
call :usage 1>&2
exit /b 2

:usage
echo usage: flash.cmd ^<command^> --port PORT --target TARGET [options]
echo.
echo commands
echo   firmware   flash the nanoFramework firmware            (nanoff --update)
echo   deploy     deploy PeerGate.Device.Esp32.bin            (nanoff --deploy)
echo   config     write peergate.conf, the Device Key and CA to I:, Wi-Fi to the device
echo   identity   burn a custom Device ID (--device-id) and/or the Device Key (--burn-key) into eFuse
echo              IRREVERSIBLE; shows a summary and asks you to type the port name or BURN
echo   all        firmware, deploy, config, then identity when --device-id or --burn-key is given
echo   help       this text
echo.
echo options: --port --target --dry-run --work-dir --image --config --service-url --allocation-keys
echo          --group-id --wifi-ssid --wifi-password-file --key-file --generate-key --group-key-file --derivation
echo          --device-id --ca-file --udp-server --allow-plain-http --burn-key --key-block --confirm
echo          (same meaning as in flash.sh help; --allow-plain-http is for a lab only)
exit /b 0
