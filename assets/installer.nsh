; Included by electron-builder's NSIS installer (electron-builder.yml nsis.include).
;
; SPEC: sip: and tel: links open Trunkline's dialer. electron-builder registers `protocols` on
; macOS and Linux but not in its NSIS installer, so the installer writes the URL handlers
; (HKCU for a per-user install, HKLM for all users: SHELL_CONTEXT follows the install mode) and
; the uninstaller removes a handler only while it still points at this installation. An update
; runs the old uninstaller, then customInstall again, so the handlers survive updates.

!macro trunklineRegisterScheme SCHEME DESCRIPTION
  WriteRegStr SHELL_CONTEXT "Software\Classes\${SCHEME}" "" "URL:${DESCRIPTION}"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${SCHEME}" "URL Protocol" ""
  WriteRegStr SHELL_CONTEXT "Software\Classes\${SCHEME}\DefaultIcon" "" "$INSTDIR\${APP_EXECUTABLE_FILENAME},0"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${SCHEME}\shell\open\command" "" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" "%1"'
!macroend

!macro trunklineUnregisterScheme SCHEME
  Push $0
  ReadRegStr $0 SHELL_CONTEXT "Software\Classes\${SCHEME}\shell\open\command" ""
  StrCmp $0 '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" "%1"' 0 +2
    DeleteRegKey SHELL_CONTEXT "Software\Classes\${SCHEME}"
  Pop $0
!macroend

!macro customInstall
  !insertmacro trunklineRegisterScheme sip "SIP address"
  !insertmacro trunklineRegisterScheme tel "Telephone number"
!macroend

!macro customUnInstall
  !insertmacro trunklineUnregisterScheme sip
  !insertmacro trunklineUnregisterScheme tel
!macroend
