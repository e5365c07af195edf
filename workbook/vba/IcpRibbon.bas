Attribute VB_Name = "IcpRibbon"
' ICP ribbon callbacks (onAction targets of workbook/ribbon.xml).
' Each button calls exactly one Python action through RunIcpAction; all logic,
' messages and error handling live in icp_xl.excel.ribbon.
Option Explicit

Private Const ICP_TITLE As String = "ICP"
Private Const NO_WORKBOOK As String = "Open your ICP workbook first (File > Open), " & _
    "or click ICP > New ICP workbook to make one. A workbook in Protected View counts " & _
    "as open only after you click Enable Editing."

' Runs icp_xl.excel.ribbon.run_action(action, <add-in's xlwings version>, <blank workbook>)
' with xlwings' RunPython, which needs an active workbook (it reads ActiveWorkbook).
' needsWorkbook = True: without an active workbook say what to open, and do not call Python.
' needsWorkbook = False: without one, open a blank workbook for RunPython; Python closes it.
Private Sub RunIcpAction(action As String, Optional needsWorkbook As Boolean = True)
    Dim blankName As String
    If ActiveWorkbook Is Nothing Then
        If needsWorkbook Then
            MsgBox NO_WORKBOOK, vbInformation, ICP_TITLE
            Exit Sub
        End If
        blankName = Workbooks.Add.Name
    End If
    RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action('" & action & _
        "', '" & XLWINGS_VERSION & "', '" & blankName & "')"
End Sub

' Ribbon button: New ICP workbook
Public Sub OnNewWorkbook(control As IRibbonControl)
    RunIcpAction "new_workbook", False
End Sub

' Ribbon button: Import accounts
Public Sub OnImportAccounts(control As IRibbonControl)
    RunIcpAction "import_accounts"
End Sub

' Ribbon button: Import opportunities
Public Sub OnImportOpportunities(control As IRibbonControl)
    RunIcpAction "import_opportunities"
End Sub

' Ribbon button: Validate
Public Sub OnValidate(control As IRibbonControl)
    RunIcpAction "validate"
End Sub

' Ribbon button: Rescore
Public Sub OnRescore(control As IRibbonControl)
    RunIcpAction "rescore"
End Sub

' Ribbon button: Refresh segment view
Public Sub OnRefreshSegmentView(control As IRibbonControl)
    RunIcpAction "refresh_segment_view"
End Sub

' Ribbon button: Calibrate
Public Sub OnCalibrate(control As IRibbonControl)
    RunIcpAction "calibrate"
End Sub

' Ribbon button: Live formulas on/off
Public Sub OnToggleLive(control As IRibbonControl)
    RunIcpAction "toggle_live"
End Sub

' Ribbon button: Optimize
Public Sub OnOptimize(control As IRibbonControl)
    RunIcpAction "optimize"
End Sub

' Ribbon button: Stop (macOS: Excel stays usable while Optimize runs; Windows: press Esc)
Public Sub OnStop(control As IRibbonControl)
    RunIcpAction "stop"
End Sub

' Ribbon button: Use optimized weights
Public Sub OnUseOptimizedWeights(control As IRibbonControl)
    RunIcpAction "use_optimized_weights"
End Sub

' Ribbon button: Reset weights
Public Sub OnResetWeights(control As IRibbonControl)
    RunIcpAction "reset_weights"
End Sub

' Ribbon button: Export CSV
Public Sub OnExportCsv(control As IRibbonControl)
    RunIcpAction "export_csv"
End Sub

' Ribbon button: Export changed
Public Sub OnExportChanged(control As IRibbonControl)
    RunIcpAction "export_changed"
End Sub

' Ribbon button: Export for CRM
Public Sub OnExportCrm(control As IRibbonControl)
    RunIcpAction "export_crm"
End Sub

' Ribbon button: Help
Public Sub OnHelp(control As IRibbonControl)
    RunIcpAction "help", False
End Sub

' Ribbon button: Diagnose (the report of 'icp-xl doctor', in a message box)
Public Sub OnDiagnose(control As IRibbonControl)
    RunIcpAction "diagnose", False
End Sub

' Ribbon button: Restart Python (VBA only: works even when Python cannot start)
Public Sub OnRestartPython(control As IRibbonControl)
    RestartIcpPython
End Sub

' Stops the Python process that computes the ICP formulas (xlwings' KillPy, the code of
' its own "Restart UDF Server" button); the next recalculation starts a fresh one, with
' empty caches and the packages as installed now. Buttons start a new Python each time.
Public Sub RestartIcpPython()
    #If Mac Then
        MsgBox "On macOS the ICP formulas do not run and every ICP button starts a new " & _
            "Python, so there is nothing to restart.", vbInformation, ICP_TITLE
    #Else
        On Error Resume Next
        KillPy
        If Err.Number <> 0 Then
            MsgBox "Python for the ICP formulas could not be stopped (" & Err.Description & _
                "); close Excel completely and start it again.", vbExclamation, ICP_TITLE
            Exit Sub
        End If
        On Error GoTo 0
        MsgBox "Python for the ICP formulas was stopped. The formulas start a new one at " & _
            "the next recalculation (Ctrl+Alt+F9 recalculates every formula now).", _
            vbInformation, ICP_TITLE
    #End If
End Sub
