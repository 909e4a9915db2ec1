; Inno Setup script for Desktop Planner on Windows (Inno Setup 6). NOT RUN on the Linux machine this was written
; on: packaging/ci/build.yml runs it on a hosted Windows runner. By hand, after the PyInstaller build:
;
;   python packaging\icons\render_icons.py build\icons --ico
;   pyinstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\desktop_planner.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\desktop-planner.iss
;
; AppVersion must be the version in pyproject.toml (the workflow reads it from there). The installer is written
; to dist\desktop-planner-<version>-windows-x64-setup.exe. It installs per user by default (no administrator
; rights needed), adds a Start menu shortcut and opens .tplan files with the app.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z desktop-planner.iss
#endif
#define AppName "Desktop Planner"
#define BundleDir "..\..\dist\desktop-planner-" + AppVersion
#define GuiExe "desktop-planner-gui.exe"

[Setup]
AppId={{6F0B7C52-3F4D-4B8E-9C55-1D2A8E7A9B10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Desktop Planner
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=desktop-planner-{#AppVersion}-windows-x64-setup
SetupIconFile=..\icons\desktop-planner.ico
UninstallDisplayIcon={app}\{#GuiExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#GuiExe}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Registry]
; .tplan -> DesktopPlanner.Project, opened with the windowed program
Root: HKA; Subkey: "Software\Classes\.tplan"; ValueType: string; ValueName: ""; ValueData: "DesktopPlanner.Project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.tplan"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-desktop-planner-project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\DesktopPlanner.Project"; ValueType: string; ValueName: ""; ValueData: "Desktop Planner project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\DesktopPlanner.Project\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#GuiExe},0"
Root: HKA; Subkey: "Software\Classes\DesktopPlanner.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#GuiExe}"" ""%1"""

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
