Attribute VB_Name = "IcpFormulas"
' Helper of the ICP formulas' VBA wrappers (module xlwings_udfs, written by xlwings'
' generator at build time; icp-xl addin build routes their error text through here).
Option Explicit

#If Not Mac Then
    #If VBA7 Then
        Private Declare PtrSafe Function FindWindowEx Lib "user32" Alias "FindWindowExA" ( _
            ByVal parent As LongPtr, ByVal after As LongPtr, ByVal className As String, _
            ByVal caption As String) As LongPtr
        Private Declare PtrSafe Function IsWindowVisible Lib "user32" (ByVal window As LongPtr) As Long
        Private Declare PtrSafe Function GetWindowThreadProcessId Lib "user32" ( _
            ByVal window As LongPtr, ByRef processId As Long) As Long
        Private Declare PtrSafe Function GetCurrentProcessId Lib "kernel32" () As Long
    #Else
        Private Declare Function FindWindowEx Lib "user32" Alias "FindWindowExA" ( _
            ByVal parent As Long, ByVal after As Long, ByVal className As String, _
            ByVal caption As String) As Long
        Private Declare Function IsWindowVisible Lib "user32" (ByVal window As Long) As Long
        Private Declare Function GetWindowThreadProcessId Lib "user32" ( _
            ByVal window As Long, ByRef processId As Long) As Long
        Private Declare Function GetCurrentProcessId Lib "kernel32" () As Long
    #End If
#End If

' Class of Excel's classic dialog windows, the Function Arguments dialog among them.
Private Const EXCEL_DIALOG_CLASS As String = "bosa_sdm_XL9"

Private Const ICP_FIX As String = "to rebuild it, close Excel, run 'icp-xl addin install' and start Excel again."
Private Const ICP_FIX_PYTHON As String = "close Excel, run 'icp-xl addin install' from the environment you use now and start Excel again."

' The text a formula cell shows when its call into Python failed, one sentence:
' - on macOS: the formulas run on Windows only (xlwings calls Python from a cell only there);
' - the recorded Python is gone (its environment was moved or deleted): name it and the fix;
' - xlwings' DLL for this add-in's xlwings version cannot be loaded (Python's environment
'   has another xlwings): name both versions and the fix;
' any other error text (Python's own #ICP! sentences) is kept.
Public Function IcpFormulaError(description As String) As String
    Dim installed As String, interpreter As String
    #If Mac Then
        IcpFormulaError = "#ICP! ICP formulas run on Windows only; on a Mac use the ICP " & _
            "buttons (Rescore fills the Scores sheet)."
        Exit Function
    #End If
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter <> "" Then
        If Not FileExists(interpreter) Then
            IcpFormulaError = "#ICP! The Python the ICP add-in runs (" & interpreter & _
                ") does not exist: its environment was moved or deleted; " & ICP_FIX_PYTHON
            Exit Function
        End If
    End If
    If InStr(1, description, "Could not load xlwings", vbTextCompare) = 0 Then
        IcpFormulaError = description
        Exit Function
    End If
    installed = InstalledXlwingsVersion()
    If installed = "" Then installed = "another version"
    IcpFormulaError = "#ICP! The ICP add-in was built for xlwings " & XLWINGS_VERSION & _
        " but Python has xlwings " & installed & "; " & ICP_FIX
End Function

' The version in the name of the xlwings DLL next to the configured interpreter
' (its folder or, for a virtual environment, the folder above), or "" if none is found.
Private Function InstalledXlwingsVersion() As String
    Dim folder As String, found As String, prefix As String, attempt As Integer
    #If Win64 Then
        prefix = "xlwings64-"
    #Else
        prefix = "xlwings32-"
    #End If
    On Error Resume Next
    folder = ParentFolder(GetConfig("INTERPRETER_WIN", ""))
    For attempt = 1 To 2
        If folder <> "" Then
            found = Dir(folder & "\" & prefix & "*.dll")
            If found <> "" Then
                InstalledXlwingsVersion = Mid$(found, Len(prefix) + 1, Len(found) - Len(prefix) - 4)
                Exit Function
            End If
            folder = ParentFolder(folder)
        End If
    Next attempt
    On Error GoTo 0
End Function

' True while Excel evaluates a formula for the Function Arguments dialog (Insert Function):
' one of Excel's own dialogs is visible and the calling cell does not hold a formula with
' this function yet (the dialog shows a result before the formula is entered). The
' wrappers of formulas over a whole Accounts table then skip Python, which would score
' every account at each keystroke. A formula already in the cell (a normal recalculation,
' even with Find and Replace open) always runs. False on macOS and whenever unsure.
Public Function IcpInFunctionWizard(functionName As String) As Boolean
    #If Not Mac Then
        #If VBA7 Then
            Dim window As LongPtr
        #Else
            Dim window As Long
        #End If
        Dim owner As Long
        On Error GoTo unsure
        If Not TypeOf Application.Caller Is Range Then Exit Function
        If InStr(1, Application.Caller.Cells(1, 1).Formula, functionName, vbTextCompare) > 0 Then
            Exit Function
        End If
        window = FindWindowEx(0, 0, EXCEL_DIALOG_CLASS, vbNullString)
        Do While window <> 0
            If IsWindowVisible(window) <> 0 Then
                owner = 0
                GetWindowThreadProcessId window, owner
                If owner = GetCurrentProcessId() Then
                    IcpInFunctionWizard = True
                    Exit Function
                End If
            End If
            window = FindWindowEx(0, window, EXCEL_DIALOG_CLASS, vbNullString)
        Loop
    #End If
unsure:
End Function

' What the Function Arguments dialog shows as the formula's result while it is open.
Public Function IcpFunctionWizardNote(functionName As String) As String
    IcpFunctionWizardNote = functionName & " calculates when you click OK"
End Function
