@echo off
setlocal
rem PeerGate maker tool (Windows): runs peergate-flash (tools\PeerGate.Flash) with the same arguments
rem and exit code. flash.cmd help lists the commands; see docs\flashing.md. flash.sh is the Linux/macOS twin.
set "TOOL=%~dp0tools\PeerGate.Flash\bin\Release\net10.0\peergate-flash.dll"
if not exist "%TOOL%" goto :source
dotnet "%TOOL%" %*
exit /b %ERRORLEVEL%
:source
dotnet run --project "%~dp0tools\PeerGate.Flash" -c Release -v quiet -- %*
exit /b %ERRORLEVEL%
